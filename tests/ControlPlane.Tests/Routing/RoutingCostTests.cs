using System.Diagnostics;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Routing;
using Xunit.Abstractions;
using static ControlPlane.Tests.Routing.RoutingWorld;

namespace ControlPlane.Tests.Routing;

/// <summary>
/// What routing adds on the hot path, in bytes allocated per decision (stable) and time (printed, not asserted): with no
/// rule it is the alias plan itself; with rules it stays within a small constant of it, however many rules are passed over.
/// </summary>
public sealed class RoutingCostTests(ITestOutputHelper output)
{
    private const int Calls = 20_000;

    [Fact]
    public void Rules_add_a_small_constant_allocation_to_a_decision_and_no_rule_adds_none()
    {
        var catalog = Catalog();
        var options = new GatewayOptions();
        var input = Input(team: Batch, tags: ["batch"], caller: "nightly");
        var passedOver = Enumerable.Range(0, 8).Select(i => new RuleForm { Name = $"other-{i}", Tags = $"tag-{i}", Kind = RuleActionKinds.Fallbacks, Targets = "llama" });
        var weighted = new RuleForm { Name = "split", Tags = "batch", Kind = RuleActionKinds.Weighted, Targets = "groq/llama-3.3 70\ngpt 30" };
        var rules = Compiled(passedOver.Append(weighted));
        var random = new Random(1);

        var (planBytes, planTime) = Measure(() => Router.Plan(catalog, input.Info, ModelKinds.Chat, options, Noon));
        var (inertBytes, inertTime) = Measure(() => RouteDecider.Decide(catalog, RoutingSnapshot.Empty, input, ModelKinds.Chat, options, Noon, null, random));
        var (ruledBytes, ruledTime) = Measure(() => RouteDecider.Decide(catalog, rules, input, ModelKinds.Chat, options, Noon, null, random));

        output.WriteLine($"alias plan: {planBytes:0} B, {planTime:0.00} µs; no rules: {inertBytes:0} B, {inertTime:0.00} µs; 9 rules (8 passed over, weighted match): {ruledBytes:0} B, {ruledTime:0.00} µs per decision");
        Assert.InRange(inertBytes, planBytes - 64, planBytes + 64);
        Assert.InRange(ruledBytes, planBytes, planBytes + 1_200);
    }

    private static (double Bytes, double Microseconds) Measure(Func<(RoutePlan?, RouteRefusal?)> decide)
    {
        for (var i = 0; i < 1_000; i++) Assert.NotNull(decide().Item1); // warm: JIT, caches, the rules' resolved targets
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Calls; i++) decide();
        var elapsed = clock.Elapsed;
        return ((GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls, elapsed.TotalMicroseconds / Calls);
    }
}
