namespace RebarProvision.Testing.Ha;

/// <summary>A DHCP server process on the HA segment: ours (<see cref="HaNode"/>) or a peer's, for the benchmark.</summary>
public interface IHaServer : IDisposable
{
    string Name { get; }

    /// <summary>Its address on the segment, which is also its DHCP server identifier.</summary>
    string Address { get; }

    bool HasExited { get; }

    /// <summary>What it printed so far, for failure messages.</summary>
    string Output { get; }

    /// <summary>SIGKILL: no chance to say goodbye, as when a machine loses power.</summary>
    void Kill();
}
