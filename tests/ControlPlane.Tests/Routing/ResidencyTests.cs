using ControlPlane.Features.Routing;
using static ControlPlane.Tests.Routing.RoutingWorld;

namespace ControlPlane.Tests.Routing;

/// <summary>Region locks: inherited down the team tree, stronger than any rule, refused in words that name the region.</summary>
public sealed class ResidencyTests
{
    [Fact]
    public void A_team_lock_holds_the_alias_chain_to_the_region_and_its_subteams_inherit_it()
    {
        var routing = Compiled([], locks: [Lock(Platform, "eu")]);

        var (platform, _) = Decide(routing, Input(team: Platform));
        var (batch, _) = Decide(routing, Input(team: Batch));
        var (research, _) = Decide(routing, Input(team: Research));

        Assert.Equal(["mistral-eu/mistral-large"], Chain(platform!));
        Assert.Equal("alias 'gpt' → mistral-eu/mistral-large; region lock eu (team 'Platform')", platform!.Reason);
        Assert.Equal(["mistral-eu/mistral-large"], Chain(batch!));
        Assert.Equal(["openai/gpt-4o", "mistral-eu/mistral-large"], Chain(research!));
    }

    [Fact]
    public void A_call_whose_only_candidates_are_outside_the_region_is_refused_with_403_naming_it()
    {
        var routing = Compiled([], locks: [Lock(null, "ap")]);

        var (plan, refusal) = Decide(routing, Input(team: Research));

        Assert.Null(plan);
        Assert.Equal((403, "residency_refused", "region_locked"), (refusal!.Error.Status, refusal.ErrorClass, refusal.Error.Code));
        Assert.StartsWith("Data residency: the organisation is locked to region 'ap', and no target for 'gpt' is in 'ap' (openai/gpt-4o: us, mistral-eu/mistral-large: eu).",
            refusal.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_rule_routes_around_a_lock()
    {
        var toUs = new RuleForm { Name = "to-groq", Kind = RuleActionKinds.Fallbacks, Targets = "groq/llama-3.3" };
        var anyCheap = new RuleForm { Name = "cheap", Tags = "cheap", Kind = RuleActionKinds.Cheapest };
        var routing = Compiled([anyCheap, toUs], locks: [Lock(Batch, "eu")]);

        var (plan, refusal) = Decide(routing, Input(team: Batch));
        var (cheap, _) = Decide(routing, Input(team: Batch, tags: ["cheap"]));
        var (elsewhere, _) = Decide(routing, Input(team: Research));

        Assert.Null(plan);
        Assert.Contains("team 'Batch' is locked to region 'eu'", refusal!.Error.Message, StringComparison.Ordinal);
        // The cheapest rule's pool is held to the region first: the local llama3 (eu) wins, not the cheap US one.
        Assert.Equal(["ollama/llama3", "mistral-eu/mistral-large"], Chain(cheap!));
        Assert.EndsWith("; region lock eu (team 'Batch')", cheap!.Reason, StringComparison.Ordinal);
        Assert.Equal("groq/llama-3.3", Picked(elsewhere!));
    }

    [Fact]
    public void A_subteams_own_lock_overrides_its_parents_and_the_organisations()
    {
        var routing = Compiled([], locks: [Lock(null, "ap"), Lock(Platform, "us"), Lock(Batch, "eu")]);

        Assert.Equal(["mistral-eu/mistral-large"], Chain(Decide(routing, Input(team: Batch)).Plan!));
        Assert.Equal(["openai/gpt-4o"], Chain(Decide(routing, Input(team: Platform)).Plan!));
        Assert.Equal("residency_refused", Decide(routing, Input(team: Research)).Refusal!.ErrorClass);
    }
}
