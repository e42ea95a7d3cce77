using ControlPlane.Features.Routing;
using static ControlPlane.Tests.Routing.RoutingWorld;

namespace ControlPlane.Tests.Routing;

/// <summary>What each action does: weights, fallbacks, cheapest with constraints, local first, block.</summary>
public sealed class RuleActionTests
{
    [Fact]
    public void Weighted_targets_share_calls_by_their_weights_and_the_others_stay_as_failover()
    {
        var routing = Compiled(new RuleForm { Name = "split", Kind = RuleActionKinds.Weighted, Targets = "groq/llama-3.3 70\nmistral-eu/mistral-large 30" });
        var random = new Random(20261202);
        var counts = new Dictionary<string, int>();
        string? seventy = null;

        for (var i = 0; i < 10_000; i++)
        {
            var (plan, _) = Decide(routing, Input(), random: random);
            counts[Picked(plan!)] = counts.GetValueOrDefault(Picked(plan!)) + 1;
            Assert.Equal(2, plan!.Targets.Count);
            if (Picked(plan) == "groq/llama-3.3") seventy ??= plan.Reason;
        }

        // 10,000 draws at p = 0.7: one standard deviation is 46 calls; ±300 is more than six.
        Assert.InRange(counts["groq/llama-3.3"], 6_700, 7_300);
        Assert.Equal(10_000 - counts["groq/llama-3.3"], counts["mistral-eu/mistral-large"]);
        Assert.Equal("rule 1 'split' matched any call; picked groq/llama-3.3 (weight 70 %) (1 fallback)", seventy);
    }

    [Fact]
    public void The_same_seed_draws_the_same_targets()
    {
        var routing = Compiled(new RuleForm { Name = "split", Kind = RuleActionKinds.Weighted, Targets = "gpt 1\nllama 1" });

        List<string> Draws(int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, 50).Select(_ => Picked(Decide(routing, Input(), random: random).Plan!))];
        }
        var first = Draws(5);
        var second = Draws(5);

        Assert.Equal(first, second);
        Assert.Contains("openai/gpt-4o", first);
        Assert.Contains("ollama/llama3", first);
    }

    [Fact]
    public void Fallbacks_are_tried_in_the_rules_order_an_alias_bringing_its_whole_chain()
    {
        var routing = Compiled(new RuleForm { Name = "order", Kind = RuleActionKinds.Fallbacks, Targets = "groq/llama-3.3, gpt" });

        var (plan, _) = Decide(routing, Input());

        Assert.Equal(["groq/llama-3.3", "openai/gpt-4o", "mistral-eu/mistral-large"], Chain(plan!));
        Assert.Equal("rule 1 'order' matched any call; picked groq/llama-3.3 (2 fallbacks)", plan!.Reason);
    }

    [Fact]
    public void Cheapest_picks_the_cheapest_target_that_meets_the_requests_needs_and_the_rules_constraints()
    {
        var cheapest = new RuleForm { Name = "cheap", Kind = RuleActionKinds.Cheapest };

        // Every target of the catalogue is the pool: the local llama3 is cheapest for a small request…
        Assert.Equal("ollama/llama3", Picked(Decide(Compiled(cheapest), Input(tokens: 1_000)).Plan!));
        // …but holds 8k tokens of context, and has no tools.
        Assert.Equal("groq/llama-3.3", Picked(Decide(Compiled(cheapest), Input(tokens: 20_000)).Plan!));
        Assert.Equal("groq/llama-3.3", Picked(Decide(Compiled(cheapest), Input(tools: true)).Plan!));
        // Images: only gpt-4o has vision.
        var (vision, _) = Decide(Compiled(cheapest), Input(images: true));
        Assert.Equal(["openai/gpt-4o"], Chain(vision!));
        // Regions and providers allowed.
        cheapest.AllowedRegions = "eu";
        Assert.Equal(["ollama/llama3", "mistral-eu/mistral-large"], Chain(Decide(Compiled(cheapest), Input()).Plan!));
        cheapest.AllowedRegions = "";
        cheapest.AllowedProviders = "openai, mistral-eu";
        Assert.Equal("mistral-eu/mistral-large", Picked(Decide(Compiled(cheapest), Input()).Plan!));
        Assert.Equal("rule 1 'cheap' matched any call; picked mistral-eu/mistral-large (cheapest of 2 meeting constraints) (1 fallback)",
            Decide(Compiled(cheapest), Input()).Plan!.Reason);
    }

    [Fact]
    public void Cheapest_leaves_out_targets_whose_p95_latency_is_over_the_limit()
    {
        var rule = new RuleForm { Name = "fast", Kind = RuleActionKinds.Cheapest, Targets = "llama\ngpt", MaxP95LatencyMs = 2_000 };
        var latency = new Dictionary<(string, string), double> { [("ollama", "llama3")] = 9_500, [("groq", "llama-3.3")] = 800 };
        var trace = new RouteTrace();

        var (plan, _) = Decide(Compiled([rule], latency: latency), Input(), trace: trace);

        // groq within the limit, openai and mistral with no statistics yet (not excluded), ollama too slow.
        Assert.Equal(["groq/llama-3.3", "mistral-eu/mistral-large", "openai/gpt-4o"], Chain(plan!));
        Assert.Contains(trace.Candidates, c => c.Target == Llama3Local && c.Note == "excluded: p95 9500 ms > 2000 ms");
    }

    [Fact]
    public void Cheapest_with_no_target_meeting_the_constraints_refuses_the_call_saying_so()
    {
        var routing = Compiled(new RuleForm { Name = "impossible", Kind = RuleActionKinds.Cheapest, Targets = "llama", RequireVision = true });

        var (plan, refusal) = Decide(routing, Input());

        Assert.Null(plan);
        Assert.Equal((503, "route_no_target", "no_target_meets_constraints"), (refusal!.Error.Status, refusal.ErrorClass, refusal.Error.Code));
        Assert.Contains("rule 1 'impossible'", refusal.Error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Local_first_uses_the_healthy_self_hosted_target_and_escalates_to_hosted_when_it_is_down()
    {
        var routing = Compiled(new RuleForm { Name = "local", Models = "llama", Kind = RuleActionKinds.LocalFirst });

        var (up, _) = Decide(routing, Input(model: "llama"));
        var (down, _) = Decide(routing, Input(model: "llama"), catalog: Catalog(Ollama.Id));

        Assert.Equal(["ollama/llama3", "groq/llama-3.3"], Chain(up!));
        Assert.Contains("(self-hosted first)", up!.Reason, StringComparison.Ordinal);
        Assert.Equal(["groq/llama-3.3"], Chain(down!));
        Assert.Equal("rule 1 'local' matched model=llama; picked groq/llama-3.3 (escalated to hosted (ollama: down))", down!.Reason);
    }

    [Fact]
    public void Local_first_escalates_when_the_local_model_cannot_serve_the_request()
    {
        var routing = Compiled(new RuleForm { Name = "local", Kind = RuleActionKinds.LocalFirst, Targets = "ollama/llama3\ngroq/llama-3.3" });

        Assert.Equal("groq/llama-3.3", Picked(Decide(routing, Input(tools: true)).Plan!));
        Assert.Equal("groq/llama-3.3", Picked(Decide(routing, Input(tokens: 50_000)).Plan!));
        Assert.Equal("ollama/llama3", Picked(Decide(routing, Input(tokens: 500)).Plan!));
    }

    [Fact]
    public void A_blocking_rule_refuses_the_call_with_its_message()
    {
        var routing = Compiled(new RuleForm { Name = "no-vision", HasImages = true, Kind = RuleActionKinds.Block, Message = "Images are not allowed for this team." });

        var (plan, refusal) = Decide(routing, Input(images: true));

        Assert.Null(plan);
        Assert.Equal((403, "route_blocked"), (refusal!.Error.Status, refusal.ErrorClass));
        Assert.Equal("Routing rule 1 'no-vision' blocks this call: Images are not allowed for this team.", refusal.Error.Message);
        Assert.NotNull(Decide(routing, Input(images: false)).Plan);
    }

    [Theory]
    [InlineData("", RuleActionKinds.Fallbacks, "", "A rule's name has 1 to 100 characters.")]
    [InlineData("r", RuleActionKinds.Weighted, "", "Name at least one target: an alias, or provider/model.")]
    [InlineData("r", RuleActionKinds.Weighted, "gpt 0", "'gpt 0': a weight is a whole number from 1 to 1,000 after the target.")]
    [InlineData("r", RuleActionKinds.Block, "", "A blocking rule tells the caller why, in 1 to 500 characters.")]
    [InlineData("r", "teleport", "gpt", "Choose what the rule does.")]
    public void A_form_that_cannot_be_a_rule_says_what_to_fix(string name, string kind, string targets, string problem)
    {
        Assert.Equal(problem, new RuleForm { Name = name, Kind = kind, Targets = targets }.Problem());
    }

    [Fact]
    public void Times_and_token_ranges_are_checked()
    {
        Assert.Equal("'25:00' is not a time of day; write it as HH:mm (24-hour).", new RuleForm { Name = "r", Targets = "gpt", From = "25:00" }.Problem());
        Assert.Equal("The smallest input is above the largest.", new RuleForm { Name = "r", Targets = "gpt", MinInputTokens = 10, MaxInputTokens = 5 }.Problem());
        Assert.Null(new RuleForm { Name = "r", Targets = "gpt", From = "22:00", To = "06:00" }.Problem());
    }
}
