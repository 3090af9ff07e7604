using System.Diagnostics;
using RebarProvision.Rendering;

namespace RebarProvision.Rendering.Tests;

public sealed class SandboxTests
{
    private static TemplateSandbox Sandbox(InMemoryTemplates? templates = null, RenderLimits? limits = null) =>
        new(templates ?? new InMemoryTemplates(), machine => $"tok-{machine.Uuid}", limits ?? RenderLimits.Default);

    private static RenderException Fails(Func<string> render, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<RenderException>(() => render());
        Assert.True(clock.Elapsed < within, $"failed after {clock.Elapsed}, budget {within}");
        return error;
    }

    [Fact]
    public void Machine_fields_are_seen_with_their_api_names()
    {
        var text = Sandbox().Render("t", "{{ machine.name }} {{ machine.uuid }} {{ machine.hardwareAddrs[1] }} {{ env.provisioner_url }} {{ subnet.cidr }} {{ lease.addr }}", Samples.Context());
        Assert.Equal("rack1-node07 3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21 52:54:00:12:34:57 http://10.20.0.1:8091 10.20.0.0/24 10.20.0.57", text);
    }

    [Fact]
    public void A_syntax_error_names_the_template_line_and_column()
    {
        var error = Assert.Throws<RenderException>(() => Sandbox().Render("user-data", "#cloud-config\nhostname: {{ machine.name + }}\n", Samples.Context()));
        Assert.Equal("user-data", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Equal(29, error.Column);
        Assert.StartsWith("user-data:2:29: ", error.Message);
    }

    [Fact]
    public void A_runtime_error_inside_an_included_template_names_that_template()
    {
        var templates = new InMemoryTemplates().Add("inner", "ok\n{{ template \"missing\" }}");
        var error = Assert.Throws<RenderException>(() => Sandbox(templates).Render("outer", "{{ template \"inner\" }}", Samples.Context()));
        Assert.Equal("inner", error.TemplateName);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void A_template_that_loops_forever_fails_within_its_budget()
    {
        var error = Fails(() => Sandbox().Render("spin", "a\n{{ while true }}x{{ end }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("spin", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Contains("iteration limit", error.Reason);
    }

    [Fact]
    public void A_slow_loop_under_the_iteration_limit_fails_on_the_clock()
    {
        var limits = new RenderLimits { LoopLimit = 0, Timeout = TimeSpan.FromMilliseconds(200) };
        var error = Fails(() => Sandbox(limits: limits).Render("slow", "{{ while true }}{{ x = 'a' | string.pad_left 100 }}{{ end }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("slow", error.TemplateName);
        Assert.Equal(1, error.Line);
        Assert.Contains("time budget of 200 ms", error.Reason);
    }

    [Fact]
    public void Deep_recursion_fails_with_the_recursion_limit()
    {
        var error = Fails(() => Sandbox().Render("deep", "{{ func f(x)\n ret f(x + 1)\nend\nf 1 }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("deep", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Contains("recursive depth limit", error.Reason);
    }

    [Fact]
    public void An_include_cycle_is_named_in_the_error()
    {
        var templates = new InMemoryTemplates().Add("a", "{{ template \"b\" }}").Add("b", "x\n{{ include \"a\" }}");
        var error = Fails(() => Sandbox(templates).RenderTemplate("a", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("b", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Equal("template cycle: a -> b -> a", error.Reason);
    }

    [Theory]
    [InlineData("{{ include \"/etc/passwd\" }}")]
    [InlineData("{{ template \"../../etc/passwd\" }}")]
    [InlineData("{{ include_join [\"/etc/passwd\"] \"\" }}")]
    public void Reading_a_file_fails_because_there_is_no_file_system(string text)
    {
        var error = Fails(() => Sandbox().Render("sneaky", "line\n" + text, Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("sneaky", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.DoesNotContain("root:", error.Message);
    }

    [Fact]
    public void Eval_builtins_are_not_available()
    {
        var error = Assert.Throws<RenderException>(() => Sandbox().Render("t", "{{ object.eval \"1 + 2\" }}", Samples.Context()));
        Assert.Contains("object.eval` was not found", error.Reason);
    }

    [Fact]
    public void Templates_cannot_change_the_shared_builtins()
    {
        var sandbox = Sandbox();
        Assert.Throws<RenderException>(() => sandbox.Render("t", "{{ string.upcase = 1 }}", Samples.Context()));
        Assert.Equal("ABC", sandbox.Render("t", "{{ 'abc' | string.upcase }}", Samples.Context()));
    }

    [Theory]
    [InlineData("{{ machine.name = 'evil' }}")]
    [InlineData("{{ machine.hardwareAddrs[0] = 'evil' }}")]
    [InlineData("{{ params[\"ssh-authorized-keys\"][0] = 'evil' }}")]
    public void A_template_cannot_change_the_context_the_next_render_sees(string text)
    {
        var sandbox = Sandbox();
        Assert.Throws<RenderException>(() => sandbox.Render("t", text, Samples.Context() with { ParamsStamp = "1" }));
        Assert.Equal("rack1-node07 52:54:00:12:34:56 ssh-ed25519",
            sandbox.Render("t", "{{ machine.name }} {{ machine.hardwareAddrs[0] }} {{ params[\"ssh-authorized-keys\"][0] | string.truncate 11 \"\" }}", Samples.Context() with { ParamsStamp = "1" }));
    }

    [Fact]
    public void Output_larger_than_the_limit_fails_instead_of_growing()
    {
        var limits = new RenderLimits { MaxOutputChars = 1000 };
        var error = Assert.Throws<RenderException>(() => Sandbox(limits: limits).Render("big", "{{ for i in 1..2000 }}xx{{ end }}", Samples.Context()));
        Assert.Equal("big", error.TemplateName);
    }

    [Fact]
    public void Token_comes_from_the_callers_issuer()
    {
        Assert.Equal("tok-3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21", Sandbox().Render("t", "{{ token }}", Samples.Context()));
    }

    [Fact]
    public void A_required_param_that_is_missing_fails_naming_the_param()
    {
        var bootEnv = Samples.BootEnv();
        bootEnv.RequiredParams.Add("root-password");
        var error = Assert.Throws<RenderException>(() => Sandbox().Render("t", "{{ param \"root-password\" }}", Samples.Context(bootEnv: bootEnv)));
        Assert.Contains("required param 'root-password'", error.Reason);
        Assert.Equal("", Sandbox().Render("t", "{{ param \"optional-thing\" }}", Samples.Context()));
    }

    [Fact]
    public void To_json_and_to_yaml_write_context_values()
    {
        var context = Samples.Context();
        Assert.Equal("[\"52:54:00:12:34:56\",\"52:54:00:12:34:57\"]", Sandbox().Render("t", "{{ machine.hardwareAddrs | to_json }}", context));
        Assert.Equal("- \"52:54:00:12:34:56\"\n- \"52:54:00:12:34:57\"\n", Sandbox().Render("t", "{{ machine.hardwareAddrs | to_yaml }}", context));
        Assert.Equal("a: 1\nb:\n  - x\n  - c: \"yes\"\n    d: true\n", Sandbox().Render("t", "{{ {a: 1, b: ['x', {c: 'yes', d: true}]} | to_yaml }}", context));
    }

    [Theory]
    [InlineData("to_json")]
    [InlineData("to_yaml")]
    public void Writing_a_value_that_contains_itself_fails_at_its_line_instead_of_ending_the_process(string helper)
    {
        var error = Fails(() => Sandbox().Render("loop", $"ok\n{{{{ x = {{a: 1}}; x.self = x; x | {helper} }}}}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("loop", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Equal($"{helper}: the value contains itself", error.Reason);
    }

    [Fact]
    public void Writing_a_value_that_shares_its_parts_fails_at_the_element_limit_instead_of_exhausting_memory()
    {
        // Ten levels of ten references to the level below: 10^10 elements to write, built in a few assignments.
        var build = "a = [1,2,3,4,5,6,7,8,9,10]\n" + string.Concat(Enumerable.Repeat("a = [a,a,a,a,a,a,a,a,a,a]\n", 10));
        var error = Fails(() => Sandbox().Render("huge", $"{{{{ {build} }}}}ok\n{{{{ a | to_json }}}}", Samples.Context()), TimeSpan.FromSeconds(10));
        Assert.Equal("huge", error.TemplateName);
        Assert.Equal(13, error.Line);
        Assert.Equal($"to_json: the value has more than {RenderLimits.Default.MaxValueNodes} elements", error.Reason);
    }

    [Fact]
    public void Writing_a_deeply_nested_value_fails_naming_the_depth_limit()
    {
        var error = Fails(() => Sandbox().Render("deep", "ok\n{{ x = [] ; for i in 1..100 ; x = [x] ; end ; x | to_yaml }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("deep", error.TemplateName);
        Assert.Equal(2, error.Line);
        Assert.Equal($"to_yaml: the value is nested deeper than {RenderLimits.Default.MaxValueDepth} levels", error.Reason);
        Assert.Equal("[[[1]]]", Sandbox().Render("shallow", "{{ [[[1]]] | to_json }}", Samples.Context()));
    }

    [Fact]
    public void Sha512crypt_refuses_rounds_and_passwords_above_its_limits_naming_the_line()
    {
        var rounds = Fails(() => Sandbox().Render("crypt", "ok\n{{ sha512crypt 'pw' 'rounds=999999999$saltsalt' }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal("crypt", rounds.TemplateName);
        Assert.Equal(2, rounds.Line);
        Assert.Equal($"sha512crypt: rounds=999999999 is above the limit of {RenderLimits.Default.MaxCryptRounds}", rounds.Reason);
        var length = Fails(() => Sandbox().Render("crypt", "{{ sha512crypt ('x' | string.pad_left 100000) 'saltsalt' }}", Samples.Context()), TimeSpan.FromSeconds(5));
        Assert.Equal($"sha512crypt: the password is longer than {RenderLimits.Default.MaxCryptPasswordBytes} bytes", length.Reason);
        Assert.StartsWith("$6$rounds=10000$saltsalt$", Sandbox().Render("crypt", "{{ sha512crypt 'pw' 'rounds=10000$saltsalt' }}", Samples.Context()));
    }
}
