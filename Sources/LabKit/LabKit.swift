// LabKit: what every lab service shares. See DESIGN.md.
@_exported import Telemetry
