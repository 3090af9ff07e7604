using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using ParsedTemplate = Scriban.Template;

namespace RebarProvision.Rendering;

/// <summary>
/// Renders Scriban templates in a sandbox (DESIGN §5): the context is built from JSON only, templates reach other
/// templates only by name through <see cref="ITemplateSource"/>, Scriban's eval builtins are gone, and each render
/// has a loop, recursion, size and wall-clock budget. Thread-safe; parsed templates are cached by name and text.
/// </summary>
public sealed class TemplateSandbox
{
    private const int ParsedCacheCapacity = 2048;

    private readonly ScriptObject _builtins;
    private readonly Func<Machine, string>? _issueToken;
    private readonly ConcurrentDictionary<(string Name, string Text), ParsedTemplate> _parsed = new();
    private readonly RenderCache _models = new(8192);

    /// <param name="templates">Where <c>template "name"</c> and <c>include "name"</c> look.</param>
    /// <param name="issueToken">Issues the machine-scoped callback token that <c>token</c> returns. Rendered output
    /// is cached, so the token should be stable for a machine revision (e.g. an HMAC of uuid and revision). Null where
    /// nothing is rendered for a machine (a syntax check): <c>token</c> then fails the render.</param>
    /// <param name="limits">The budget of one render: <see cref="RenderLimits.Default"/> in the server.</param>
    public TemplateSandbox(ITemplateSource templates, Func<Machine, string>? issueToken, RenderLimits limits)
    {
        Templates = templates;
        _issueToken = issueToken;
        Limits = limits;
        _builtins = CreateBuiltins();
    }

    public ITemplateSource Templates { get; }

    public RenderLimits Limits { get; }

    /// <summary>Renders the named template from <see cref="Templates"/>.</summary>
    /// <exception cref="RenderException">The template is missing, does not parse, or fails while rendering.</exception>
    public string RenderTemplate(string name, MachineRenderContext? context)
    {
        var template = Templates.Find(name) ?? throw new RenderException(name, 0, 0, NotFoundMessage(name));
        return Render(name, template.Contents, context);
    }

    /// <summary>Renders <paramref name="text"/>, reporting errors under <paramref name="name"/>.</summary>
    /// <exception cref="RenderException">The text does not parse, or fails while rendering.</exception>
    public string Render(string name, string text, MachineRenderContext? context) =>
        Render(name, text, context, CreateGlobals(context), null);

    /// <summary>Parses without rendering, e.g. to validate a template when it is stored.</summary>
    /// <returns>The first syntax error, or null when the text parses.</returns>
    public RenderException? CheckSyntax(string name, string text)
    {
        try
        {
            Parse(name, text);
            return null;
        }
        catch (RenderException e)
        {
            return e;
        }
    }

    /// <summary>
    /// Renders with <paramref name="globals"/> from <see cref="CreateGlobals"/>, so one request that renders several
    /// templates for a machine converts the machine once. Top-level assignments land in a scope of their own.
    /// </summary>
    internal string Render(string name, string text, MachineRenderContext? machine, ScriptObject globals, ScriptObject? boot)
    {
        var template = Parse(name, text);
        var context = new SandboxContext(_builtins, Limits, this, machine);
        context.PushGlobal(globals);
        var local = new ScriptObject();
        if (boot is not null)
        {
            local["boot"] = boot;
        }
        context.PushGlobal(local);
        context.Chain.Add(name);
        try
        {
            return template.Render(context);
        }
        catch (Exception e) when (e is not RenderException)
        {
            throw Translate(e, name);
        }
    }

    private ScriptObject Model<T>(string? key, T value) => _models.GetOrAdd(key, () => ScriptValues.FromModel(value, frozen: true));

    internal static string NotFoundMessage(string name) =>
        $"template '{name}' not found (templates are looked up by name; there is no file system)";

    private ParsedTemplate Parse(string name, string text)
    {
        if (_parsed.TryGetValue((name, text), out var cached))
        {
            return cached;
        }
        var template = ParsedTemplate.Parse(text, name);
        if (template.HasErrors)
        {
            var error = template.Messages.First(m => m.Type == ParserMessageType.Error);
            throw new RenderException(
                string.IsNullOrEmpty(error.Span.FileName) ? name : error.Span.FileName,
                error.Span.Start.Line + 1,
                error.Span.Start.Column + 1,
                error.Message);
        }
        if (_parsed.Count >= ParsedCacheCapacity)
        {
            _parsed.Clear();
        }
        _parsed[(name, text)] = template;
        return template;
    }

    private static RenderException Translate(Exception e, string name)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is RenderException render)
            {
                return render;
            }
        }
        if (e is ScriptRuntimeException script)
        {
            var file = string.IsNullOrEmpty(script.Span.FileName) ? name : script.Span.FileName;
            return new RenderException(file, script.Span.Start.Line + 1, script.Span.Start.Column + 1, script.OriginalMessage, e);
        }
        return new RenderException(name, 0, 0, e.Message, e);
    }

    /// <summary>
    /// The context's values as Scriban sees them. Converting a model is most of the cost of an uncached render, so
    /// stored objects (revision above 0) are converted once per revision, frozen, and shared.
    /// </summary>
    internal ScriptObject CreateGlobals(MachineRenderContext? machine)
    {
        var globals = new ScriptObject();
        if (machine is not null)
        {
            var m = machine.Machine;
            globals["machine"] = Model(m.Revision == 0 ? null : $"machine|{m.Uuid}|{m.Revision}", m);
            var b = machine.BootEnv;
            globals["bootenv"] = Model(b.Revision == 0 ? null : $"bootenv|{b.Name}|{b.Revision}", b);
            globals["params"] = _models.GetOrAdd(
                m.Revision == 0 || machine.ParamsStamp is null ? null : $"params|{m.Uuid}|{m.Revision}|{machine.ParamsStamp}|{machine.Mask}",
                () => ScriptValues.FromJson(new JsonObject(machine.Params.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))), frozen: true)!);
            globals["subnet"] = machine.Subnet is { } s ? Model(s.Revision == 0 ? null : $"subnet|{s.Name}|{s.Revision}", s) : null;
            globals["lease"] = machine.Lease is { } l ? Model(l.Revision == 0 ? null : $"lease|{l.Addr}|{l.Revision}", l) : null;
            var env = new ScriptObject
            {
                ["provisioner_url"] = machine.Environment.ProvisionerUrl,
                ["api_url"] = machine.Environment.ApiUrl,
                ["machine_url"] = machine.MachineUrlOrDefault,
                ["node"] = machine.Environment.Node,
                ["node_urls"] = new ScriptArray(machine.Environment.AllNodeUrls),
            };
            globals["env"] = env;
        }
        return globals;
    }

    private ScriptObject CreateBuiltins()
    {
        var builtins = new TemplateContext().BuiltinObject;
        // object.eval/eval_template compile and run text that is not a stored template: errors could not name a
        // template, and it would sidestep the parse cache. include_join goes around our include.
        if (builtins["object"] is ScriptObject objectFunctions)
        {
            objectFunctions.Remove("eval");
            objectFunctions.Remove("eval_template");
        }
        builtins.Remove("include_join");
        builtins.Import("param", new Func<TemplateContext, SourceSpan, string, object?>(Param));
        builtins.Import("template", new Func<TemplateContext, SourceSpan, string, string>(Include));
        builtins.Remove("include");
        builtins.Import("include", new Func<TemplateContext, SourceSpan, string, string>(Include));
        builtins.Import("token", new Func<TemplateContext, SourceSpan, string>(Token));
        builtins.Import("sha512crypt", new Func<TemplateContext, SourceSpan, string, string?, string>(Sha512CryptFunction));
        builtins.Import("to_json", new Func<TemplateContext, SourceSpan, object?, bool, string>(ToJson));
        builtins.Import("to_yaml", new Func<TemplateContext, SourceSpan, object?, string>(ToYaml));
        // The builtins are shared by every render, so no template may change them.
        foreach (var value in builtins.Values)
        {
            if (value is ScriptObject group)
            {
                group.IsReadOnly = true;
            }
        }
        builtins.IsReadOnly = true;
        return builtins;
    }

    private static object? Param(TemplateContext context, SourceSpan span, string name)
    {
        var machine = ((SandboxContext)context).Machine;
        if (machine is not null && machine.Params.TryGetValue(name, out var value) && value is not null)
        {
            return ScriptValues.FromJson(value);
        }
        if (machine is not null && machine.BootEnv.RequiredParams.Contains(name))
        {
            throw new ScriptRuntimeException(span,
                $"required param '{name}' is not set on the machine, its profiles or the global profile, and has no default");
        }
        return null;
    }

    private static string Include(TemplateContext context, SourceSpan span, string name)
    {
        var sandbox = (SandboxContext)context;
        sandbox.CheckBudget(span);
        var at = sandbox.Chain.IndexOf(name);
        if (at >= 0)
        {
            throw new ScriptRuntimeException(span, $"template cycle: {string.Join(" -> ", sandbox.Chain.Skip(at))} -> {name}");
        }
        var template = sandbox.Sandbox.Templates.Find(name) ?? throw new ScriptRuntimeException(span, NotFoundMessage(name));
        var parsed = sandbox.Sandbox.Parse(name, template.Contents);
        if (parsed.Page is null)
        {
            return "";
        }
        sandbox.Chain.Add(name);
        context.PushOutput();
        try
        {
            context.Evaluate(parsed.Page);
        }
        finally
        {
            sandbox.Chain.RemoveAt(sandbox.Chain.Count - 1);
        }
        return context.PopOutput().ToString() ?? "";
    }

    private string Token(TemplateContext context, SourceSpan span)
    {
        var machine = ((SandboxContext)context).Machine
            ?? throw new ScriptRuntimeException(span, "token needs a machine to issue the token for");
        // A machine token is a credential of the machine: whoever may not read secrets may not hold it either.
        if (machine.Mask is not null)
        {
            return machine.Mask;
        }
        return _issueToken?.Invoke(machine.Machine)
            ?? throw new ScriptRuntimeException(span, "no token issuer is configured for this render");
    }

    private static string Sha512CryptFunction(TemplateContext context, SourceSpan span, string password, string? salt = null)
    {
        var limits = ((SandboxContext)context).Sandbox.Limits;
        var rounds = salt is null ? 0 : Sha512Crypt.RoundsOf(salt);
        if (rounds > limits.MaxCryptRounds)
        {
            throw new ScriptRuntimeException(span, $"sha512crypt: rounds={rounds} is above the limit of {limits.MaxCryptRounds}");
        }
        if (System.Text.Encoding.UTF8.GetByteCount(password) > limits.MaxCryptPasswordBytes)
        {
            throw new ScriptRuntimeException(span, $"sha512crypt: the password is longer than {limits.MaxCryptPasswordBytes} bytes");
        }
        return salt is null ? Sha512Crypt.Hash(password) : Sha512Crypt.Hash(password, salt);
    }

    private static string ToJson(TemplateContext context, SourceSpan span, object? value, bool indented = false) =>
        (Json(context, span, value, "to_json") ?? JsonValue.Create((string?)null))?.ToJsonString(indented ? IndentedJson : CompactJson) ?? "null";

    private static string ToYaml(TemplateContext context, SourceSpan span, object? value) => YamlText.Write(Json(context, span, value, "to_yaml"));

    private static JsonNode? Json(TemplateContext context, SourceSpan span, object? value, string helper) =>
        TemplateValueJson.Convert(value, ((SandboxContext)context).Sandbox.Limits, span, helper);

    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
