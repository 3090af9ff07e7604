using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Rendering;

namespace RebarProvision.Rendering.Tests;

/// <summary>A sample machine and what surrounds it, as the HTTP service would pass them.</summary>
public static class Samples
{
    public static readonly RenderEnvironment Env = RenderEnvironment.ForNode("10.20.0.1", 8091, 8092, node: "node-a");

    public static Machine Machine() => new()
    {
        Uuid = "3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21",
        Name = "rack1-node07",
        HardwareAddrs = ["52:54:00:12:34:56", "52:54:00:12:34:57"],
        Address = "10.20.0.57",
        Arch = "amd64",
        BootEnv = "debian-netboot",
        Revision = 42,
        Params = new(StringComparer.Ordinal)
        {
            ["hostname"] = "rack1-node07",
            ["ssh-authorized-keys"] = new JsonArray("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl operator@example.com"),
        },
    };

    public static BootEnv BootEnv(string name = "sample") => new() { Name = name, Revision = 7 };

    public static MachineRenderContext Context(Machine? machine = null, BootEnv? bootEnv = null, Dictionary<string, JsonNode?>? parameters = null)
    {
        machine ??= Machine();
        return new MachineRenderContext(machine, bootEnv ?? BootEnv(), parameters ?? new Dictionary<string, JsonNode?>(machine.Params), Env)
        {
            Subnet = new Subnet { Name = "rack1", Cidr = "10.20.0.0/24", ActiveStart = "10.20.0.100", ActiveEnd = "10.20.0.200", Revision = 3 },
            Lease = new Lease { Addr = "10.20.0.57", Token = "52:54:00:12:34:56", Subnet = "rack1", State = LeaseState.Bound, Revision = 9 },
        };
    }
}
