using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RebarProvision.Model;
using Scriban.Runtime;

namespace RebarProvision.Rendering;

/// <summary>
/// What a machine receives from the HTTP boot service: its boot-loader documents (iPXE, pxelinux, GRUB) and the
/// per-machine files its bootenv declares, rendered in the <see cref="TemplateSandbox"/> and cached per revision of
/// everything they depend on. Thread-safe.
/// </summary>
public sealed class BootRenderer
{
    private readonly RenderCache _cache;

    /// <param name="sandbox">Renders the templates.</param>
    /// <param name="cacheCapacity">Rendered outputs kept (up to twice this many); 0 turns the cache off.</param>
    public BootRenderer(TemplateSandbox sandbox, int cacheCapacity = 20_000)
    {
        Sandbox = sandbox;
        _cache = new RenderCache(cacheCapacity);
    }

    public TemplateSandbox Sandbox { get; }

    /// <summary>Name of the template a bootenv ships for a loader (e.g. <c>ipxe</c>).</summary>
    public static string TemplateName(BootLoader loader) => loader switch
    {
        BootLoader.Ipxe => "ipxe",
        BootLoader.Pxelinux => "pxelinux",
        BootLoader.Grub => "grub",
        _ => throw new ArgumentOutOfRangeException(nameof(loader)),
    };

    /// <summary>The shared template used when a bootenv has none of its own for the loader (e.g. <c>default-ipxe</c>).</summary>
    public static string DefaultTemplateName(BootLoader loader) => "default-" + TemplateName(loader);

    /// <summary>
    /// Renders the per-machine file at <paramref name="path"/> (e.g. <c>machines/&lt;uuid&gt;/user-data</c>, with or
    /// without a leading slash): the bootenv template whose rendered <c>Path</c> equals it.
    /// </summary>
    /// <returns>The file, or null when no template of the bootenv serves that path for this machine.</returns>
    /// <exception cref="RenderException">A template failed; the message names it, the line and the column.</exception>
    public RenderedFile? RenderMachineFile(MachineRenderContext context, string path)
    {
        path = path.TrimStart('/');
        var stamp = Stamp(context);
        ScriptObject? globals = null;
        var paths = _cache.GetOrAdd(stamp is null ? null : "paths|" + stamp, () => RenderPaths(context, globals ??= Sandbox.CreateGlobals(context)));
        if (!paths.TryGetValue(path, out var template))
        {
            return null;
        }
        return _cache.GetOrAdd(stamp is null ? null : "file|" + path + "|" + stamp, () =>
        {
            var (name, text) = Body(context.BootEnv, template);
            return File(path, name, Sandbox.Render(name, text, context, globals ??= Sandbox.CreateGlobals(context), null));
        });
    }

    /// <summary>The paths this machine's bootenv serves, each with the name of the bootenv template behind it.</summary>
    public IReadOnlyDictionary<string, string> MachineFilePaths(MachineRenderContext context) =>
        RenderPaths(context, Sandbox.CreateGlobals(context)).ToDictionary(p => p.Key, p => p.Value.Name, StringComparer.Ordinal);

    /// <summary>
    /// Renders the boot-loader document for the machine: the bootenv's own template named <c>ipxe</c>,
    /// <c>pxelinux</c> or <c>grub</c> when it has one, else the shared <c>default-*</c> template. Both see
    /// <c>boot</c>: <c>kernel</c> and <c>initrds</c> (each with <c>url</c>, <c>name</c>, <c>grub</c>), the rendered
    /// <c>params</c>, <c>files_url</c> and the <c>mac</c> that asked.
    /// </summary>
    /// <param name="context">The machine.</param>
    /// <param name="loader">Which document.</param>
    /// <param name="mac">The MAC the request came for (the first of the machine's when null).</param>
    /// <exception cref="RenderException">A template failed, or the default template is not in the template source.</exception>
    public RenderedFile RenderBootScript(MachineRenderContext context, BootLoader loader, string? mac = null)
    {
        mac ??= context.Machine.HardwareAddrs.FirstOrDefault() ?? "";
        var stamp = Stamp(context);
        return _cache.GetOrAdd(stamp is null ? null : $"boot|{loader}|{mac}|{stamp}", () =>
        {
            var own = context.BootEnv.Templates.FirstOrDefault(t => t.Name == TemplateName(loader));
            string name, text;
            if (own is not null)
            {
                (name, text) = Body(context.BootEnv, own);
            }
            else
            {
                name = DefaultTemplateName(loader);
                text = Sandbox.Templates.Find(name)?.Contents ?? throw new RenderException(name, 0, 0, TemplateSandbox.NotFoundMessage(name));
            }
            var globals = Sandbox.CreateGlobals(context);
            var boot = BootObject(context, mac, RenderCommandLine(context, globals));
            return File(LoaderPath(loader, mac), name, Sandbox.Render(name, text, context, globals, boot));
        });
    }

    /// <summary>The bootenv's rendered <c>BootParams</c>: the kernel command line without <c>initrd=</c>.</summary>
    public string RenderKernelCommandLine(MachineRenderContext context)
    {
        var stamp = Stamp(context);
        return _cache.GetOrAdd(stamp is null ? null : "cmdline|" + stamp, () => RenderCommandLine(context, Sandbox.CreateGlobals(context)));
    }

    /// <summary>Where the HTTP/TFTP services serve a loader's document for a MAC, following each loader's convention.</summary>
    public static string LoaderPath(BootLoader loader, string mac) => loader switch
    {
        BootLoader.Ipxe => $"boot/{mac}.ipxe",
        BootLoader.Pxelinux => $"pxelinux.cfg/01-{mac.Replace(':', '-')}",
        BootLoader.Grub => $"grub.cfg-01-{mac.Replace(':', '-')}",
        _ => throw new ArgumentOutOfRangeException(nameof(loader)),
    };

    private string RenderCommandLine(MachineRenderContext context, ScriptObject globals) =>
        Sandbox.Render($"bootenvs/{context.BootEnv.Name}/bootParams", context.BootEnv.BootParams, context, globals, null).Trim();

    private Dictionary<string, BootTemplate> RenderPaths(MachineRenderContext context, ScriptObject globals)
    {
        var paths = new Dictionary<string, BootTemplate>(StringComparer.Ordinal);
        foreach (var template in context.BootEnv.Templates)
        {
            var path = Sandbox.Render($"bootenvs/{context.BootEnv.Name}/{template.Name}.path", template.Path, context, globals, null).Trim().TrimStart('/');
            paths.TryAdd(path, template);
        }
        return paths;
    }

    private (string Name, string Text) Body(BootEnv bootEnv, BootTemplate template)
    {
        if (template.Contents is not null)
        {
            return ($"bootenvs/{bootEnv.Name}/{template.Name}", template.Contents);
        }
        var name = template.Template ?? "";
        var stored = Sandbox.Templates.Find(name)
            ?? throw new RenderException($"bootenvs/{bootEnv.Name}/{template.Name}", 0, 0, TemplateSandbox.NotFoundMessage(name));
        return (name, stored.Contents);
    }

    private static ScriptObject BootObject(MachineRenderContext context, string mac, string commandLine)
    {
        var filesUrl = $"{context.Environment.ProvisionerUrl}/files/bootenvs/{context.BootEnv.Name}/";
        var initrds = new ScriptArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initrd in context.BootEnv.Initrds)
        {
            var file = BootFile(filesUrl, initrd);
            // iPXE names images by file name and the EFI stub finds initrds by that name (initrd=<name>): keep them unique.
            var baseName = file["name"] as string ?? "initrd";
            var name = baseName;
            for (var i = 2; !names.Add(name); i++)
            {
                name = $"{baseName}-{i}";
            }
            file["name"] = name;
            initrds.Add(file);
        }
        return new ScriptObject
        {
            ["kernel"] = string.IsNullOrEmpty(context.BootEnv.Kernel) ? null : BootFile(filesUrl, context.BootEnv.Kernel),
            ["initrds"] = initrds,
            ["params"] = commandLine,
            ["files_url"] = filesUrl,
            ["mac"] = mac,
        };
    }

    private static ScriptObject BootFile(string filesUrl, string path)
    {
        var absolute = Uri.TryCreate(path, UriKind.Absolute, out var given) && given.Scheme is "http" or "https" or "tftp";
        var url = absolute ? given! : new Uri(filesUrl + path.TrimStart('/'));
        var segments = url.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return new ScriptObject
        {
            ["url"] = url.AbsoluteUri,
            ["name"] = segments.Length > 0 ? segments[^1] : "image",
            // GRUB addresses files on a server as (proto,host:port)/path.
            ["grub"] = $"({url.Scheme},{url.Host}:{url.Port}){url.PathAndQuery}",
        };
    }

    private static RenderedFile File(string path, string templateName, string contents)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(contents));
        return new RenderedFile(path, templateName, contents, ContentType(path, contents), $"\"{Convert.ToHexStringLower(hash.AsSpan(0, 16))}\"");
    }

    private static string ContentType(string path, string contents)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || contents.StartsWith('{'))
        {
            return "application/json";
        }
        if (path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return "application/yaml";
        }
        return "text/plain; charset=utf-8";
    }

    /// <summary>
    /// Every revision a machine's output depends on, or null for objects that were never stored (revision 0):
    /// without a revision there is nothing that would tell the cache they changed.
    /// </summary>
    private string? Stamp(MachineRenderContext context)
    {
        if (context.Machine.Revision == 0 || context.BootEnv.Revision == 0)
        {
            return null;
        }
        var parameters = context.ParamsStamp ?? ParamsHash(context.Params);
        return string.Join('|',
            context.Machine.Uuid, context.Machine.Revision,
            context.BootEnv.Name, context.BootEnv.Revision,
            parameters, Sandbox.Templates.Revision,
            context.Subnet?.Name, context.Subnet?.Revision,
            context.Lease?.Addr, context.Lease?.Revision,
            context.Environment.ProvisionerUrl, context.Environment.ApiUrl, context.MachineUrl,
            string.Join(',', context.Environment.AllNodeUrls), context.Mask);
    }

    private static string ParamsHash(IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?> parameters)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(parameters.OrderBy(p => p.Key, StringComparer.Ordinal), ModelJson.Options);
        return Convert.ToHexStringLower(SHA256.HashData(json));
    }
}
