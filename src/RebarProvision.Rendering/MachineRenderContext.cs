using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Rendering;

/// <summary>Everything a per-machine render sees. The caller looks the objects up; rendering never touches storage.</summary>
/// <param name="Machine">The machine (a placeholder with revision 0 for an unknown one; those renders are not cached).</param>
/// <param name="BootEnv">The machine's bootenv.</param>
/// <param name="Params">The machine's params resolved with <see cref="ParamResolver"/>.</param>
/// <param name="Environment">The answering node's URLs.</param>
public sealed record MachineRenderContext(
    Machine Machine,
    BootEnv BootEnv,
    IReadOnlyDictionary<string, JsonNode?> Params,
    RenderEnvironment Environment)
{
    public Subnet? Subnet { get; init; }

    public Lease? Lease { get; init; }

    /// <summary>
    /// Base URL of this machine's own files, as templates see it in <c>env.machine_url</c> (no trailing slash): the
    /// server puts the machine's boot secret in it, so the machine can fetch its files from any address.
    /// When null, <c>&lt;provisioner_url&gt;/machines/&lt;uuid&gt;</c>, which only the machine's lease address may read.
    /// </summary>
    public string? MachineUrl { get; init; }

    /// <summary><see cref="MachineUrl"/>, or its address-bound default.</summary>
    public string MachineUrlOrDefault => MachineUrl ?? $"{Environment.ProvisionerUrl}/machines/{Machine.Uuid}";

    /// <summary>
    /// A stamp that changes when any input of <see cref="Params"/> changes (the machine's profiles, the global profile,
    /// declared params), e.g. the highest revision among them. When null a hash of the resolved params is used.
    /// </summary>
    public string? ParamsStamp { get; init; }

    /// <summary>
    /// Set when the output goes to someone who may not read secrets (a render preview for a non-admin): the values
    /// of secure params and the machine's callback token read as this text instead, whatever the template does with
    /// them. Null when the output goes to the machine itself or to an admin.
    /// </summary>
    public string? Mask { get; init; }

    /// <summary>This context with the values of <paramref name="secureParams"/> (and the machine token) replaced by <paramref name="mask"/>.</summary>
    public MachineRenderContext WithSecretsMasked(IEnumerable<string> secureParams, string mask)
    {
        var masked = new Dictionary<string, JsonNode?>(Params, StringComparer.Ordinal);
        foreach (var name in secureParams)
        {
            if (masked.ContainsKey(name))
            {
                masked[name] = JsonValue.Create(mask);
            }
        }
        return this with { Params = masked, Mask = mask };
    }
}
