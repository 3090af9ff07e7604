namespace RebarProvision.Model;

public enum MachineState
{
    Discovered,
    Provisioning,
    Installed,
    Failed,
    Maintenance,
}
