namespace RebarProvision.Model;

public enum Role
{
    Readonly,
    Operator,
    Admin,

    /// <summary>A token bound to one machine: reads its own rendered files, posts its own callback.</summary>
    Machine,
}
