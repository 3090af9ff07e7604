using RebarProvision.Model;

namespace RebarProvision.Server.Power;

/// <summary>Talks to one kind of BMC (<see cref="PowerEndpoint.Kind"/>).</summary>
public interface IPowerDriver
{
    /// <summary>The <see cref="PowerEndpoint.Kind"/> this driver serves: <c>ipmi</c> or <c>redfish</c>.</summary>
    string Kind { get; }

    /// <exception cref="PowerControlException">The BMC refused, failed or did not answer in time.</exception>
    Task PowerAsync(Machine machine, PowerAction action, PowerCredentials credentials, bool insecure, CancellationToken cancellationToken);
}
