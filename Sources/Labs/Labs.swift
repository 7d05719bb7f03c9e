// Labs: one folder per lab with that lab's services.
import LabKit

/// Every lab's services, each role with its knobs declared, for `labsvc <lab> <role>` (which checks
/// a service's knobs when it starts), `labsvc knobs` and the control plane: the catalog's labs (the
/// list `labctl gen` derives from labs/*/lab.yaml) and the self-test lab the control-plane tests use.
public enum Labs {
    public static let registry = LabServiceRegistry(LabCatalogServices.all + [SelfTestLab.lab.declaringKnobs(SelfTestLab.knobs)])
}
