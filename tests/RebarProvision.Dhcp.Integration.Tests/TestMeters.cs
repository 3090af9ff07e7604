using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using RebarProvision.Dhcp.Server;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>
/// The meter factory a host builds (AddMetrics), one per test: the meters it creates are instances no other test
/// shares, so a listener on them hears this test's packets only; they are disposed with it.
/// </summary>
internal sealed class TestMeters : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    public DhcpMetrics Dhcp() => new(Factory);

    public void Dispose() => _services.Dispose();
}
