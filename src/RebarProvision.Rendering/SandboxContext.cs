using System.Diagnostics;
using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace RebarProvision.Rendering;

/// <summary>One render's Scriban context: its deadline, and the chain of templates being rendered (for cycles).</summary>
internal sealed class SandboxContext : TemplateContext
{
    private readonly long _deadline;
    private readonly TimeSpan _budget;

    public SandboxContext(ScriptObject builtins, RenderLimits limits, TemplateSandbox sandbox, MachineRenderContext? machine)
        : base(builtins, StringComparer.Ordinal)
    {
        Sandbox = sandbox;
        Machine = machine;
        _budget = limits.Timeout;
        _deadline = Stopwatch.GetTimestamp() + (long)(limits.Timeout.TotalSeconds * Stopwatch.Frequency);
        LoopLimit = limits.LoopLimit;
        RecursiveLimit = limits.RecursiveLimit;
        LimitToString = limits.MaxOutputChars;
        OutputLimit = limits.MaxOutputChars;
        OnOutputLimit = ScriptLimitBehavior.Throw;
        OnStringLimit = ScriptLimitBehavior.Throw;
        RegexTimeOut = TimeSpan.FromMilliseconds(Math.Max(1, limits.Timeout.TotalMilliseconds / 4));
        StrictVariables = false;
        EnableRelaxedMemberAccess = true;
        TemplateLoader = new SandboxTemplateLoader(sandbox.Templates);
        MemberFilter = static _ => false;
    }

    public TemplateSandbox Sandbox { get; }

    public MachineRenderContext? Machine { get; }

    /// <summary>Templates being rendered, outermost first.</summary>
    public List<string> Chain { get; } = [];

    public void CheckBudget(Scriban.Parsing.SourceSpan span)
    {
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new ScriptRuntimeException(span, $"render exceeded its time budget of {_budget.TotalMilliseconds:0} ms");
        }
    }

    // Scriban sets array elements through a list accessor, not the (virtual) indexer: guard it for shared values.
    protected override IListAccessor? GetListAccessorImpl(object target, Type type)
    {
        var accessor = base.GetListAccessorImpl(target, type);
        return target is FrozenScriptArray && accessor is not null ? new FrozenListAccessor(accessor) : accessor;
    }

    // Loops are where time goes (recursion is capped by RecursiveLimit, and every call of `template` checks too).
    protected override bool OnStepLoop(ScriptLoopStatementBase loop)
    {
        CheckBudget(loop.Span);
        return base.OnStepLoop(loop);
    }

    private sealed class FrozenListAccessor(IListAccessor inner) : IListAccessor
    {
        public int GetLength(TemplateContext context, Scriban.Parsing.SourceSpan span, object target) => inner.GetLength(context, span, target);

        public object? GetValue(TemplateContext context, Scriban.Parsing.SourceSpan span, object target, int index) =>
            inner.GetValue(context, span, target, index);

        public void SetValue(TemplateContext context, Scriban.Parsing.SourceSpan span, object target, int index, object? value)
        {
            if (target is FrozenScriptArray { IsFrozen: true })
            {
                throw new ScriptRuntimeException(span, "context values are read-only; copy them into a variable of your own first");
            }
            inner.SetValue(context, span, target, index, value);
        }
    }
}
