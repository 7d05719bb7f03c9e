// Labs: one folder per lab with that lab's services.
import LabKit
