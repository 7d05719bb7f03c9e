// LabControl: the control plane as a library.
import LabKit
