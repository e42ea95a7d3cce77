using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Routing;
using static ControlPlane.Tests.Routing.RoutingWorld;

namespace ControlPlane.Tests.Routing;

/// <summary>Which rule matches a call: each condition on its own, priority, enabled, and no rule at all.</summary>
public sealed class RuleMatchingTests
{
    private static RuleForm ToCheap(Action<RuleForm> condition)
    {
        var form = new RuleForm { Name = "to-groq", Kind = RuleActionKinds.Fallbacks, Targets = "groq/llama-3.3" };
        condition(form);
        return form;
    }

    [Fact]
    public void Without_rules_or_locks_a_call_routes_exactly_as_the_alias_says()
    {
        var input = Input();

        var (plan, refusal) = Decide(RoutingSnapshot.Empty, input);
        var (today, _) = Router.Plan(Catalog(), input.Info, ModelKinds.Chat, new GatewayOptions(), Noon);

        Assert.Null(refusal);
        Assert.Equal(today!.Reason, plan!.Reason);
        Assert.Equal(Chain(today), Chain(plan));
        Assert.Equal(today.WorstCaseCost, plan.WorstCaseCost);
        Assert.Equal("alias 'gpt' → openai/gpt-4o (1 fallback)", plan.Reason);
    }

    public static TheoryData<string> Conditions => ["model", "team", "project", "key", "caller", "end user", "tags", "input tokens", "tools", "images", "time of day", "origin region"];

    [Theory]
    [MemberData(nameof(Conditions))]
    public void A_rule_matches_when_its_condition_holds_and_not_otherwise(string condition)
    {
        var project = Guid.NewGuid();
        var (form, matching, other) = condition switch
        {
            "model" => (ToCheap(f => f.Models = "gpt, auto"), Input(model: "gpt"), Input(model: "llama")),
            "team" => (ToCheap(f => f.Teams = [Platform.Id]), Input(team: Platform), Input(team: Research)),
            "project" => (ToCheap(f => f.Projects = [project]), Input(project: project), Input(project: Guid.NewGuid())),
            "key" => (ToCheap(f => f.Keys = "cp-abc123"), Input(key: "cp-abc123"), Input(key: "cp-zzz999")),
            "caller" => (ToCheap(f => f.Callers = "nightly-job"), Input(caller: "nightly-job"), Input(caller: "web")),
            "end user" => (ToCheap(f => f.EndUsers = "user-42"), Input(endUser: "user-42"), Input(endUser: "user-7")),
            "tags" => (ToCheap(f => f.Tags = "batch, offline"), Input(tags: ["x", "Batch"]), Input(tags: ["interactive"])),
            "input tokens" => (ToCheap(f => (f.MinInputTokens, f.MaxInputTokens) = (1_000, 8_000)), Input(tokens: 5_000), Input(tokens: 9_000)),
            "tools" => (ToCheap(f => f.UsesTools = true), Input(tools: true), Input(tools: false)),
            "images" => (ToCheap(f => f.HasImages = false), Input(images: false), Input(images: true)),
            "time of day" => (ToCheap(f => (f.From, f.To) = ("11:00", "13:00")), Input(), Input()),
            "origin region" => (ToCheap(f => f.OriginRegions = "eu"), Input(region: "EU"), Input(region: "us")),
            _ => throw new ArgumentOutOfRangeException(nameof(condition)),
        };
        var routing = Compiled(form);
        var otherTime = condition == "time of day" ? Noon.AddHours(3) : Noon;

        var (hit, _) = Decide(routing, matching);
        var trace = new RouteTrace();
        var (miss, _) = Decide(routing, other, at: otherTime, trace: trace);

        Assert.Equal("groq/llama-3.3", Picked(hit!));
        Assert.StartsWith("rule 1 'to-groq' matched ", hit!.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("rule", miss!.Reason, StringComparison.Ordinal); // the alias's own chain
        Assert.NotEqual("groq/llama-3.3", Picked(miss));
        Assert.Equal($"no match ({condition})", Assert.Single(trace.Rules).Verdict);
    }

    [Fact]
    public void A_team_condition_covers_the_teams_below_it()
    {
        var routing = Compiled(ToCheap(f => f.Teams = [Platform.Id]));

        Assert.Equal("groq/llama-3.3", Picked(Decide(routing, Input(team: Batch)).Plan!));
        Assert.Equal("openai/gpt-4o", Picked(Decide(routing, Input(team: Research)).Plan!));
        Assert.Equal("openai/gpt-4o", Picked(Decide(routing, Input(team: null)).Plan!));
    }

    [Fact]
    public void A_time_window_is_read_in_the_organisation_zone_and_may_wrap_past_midnight()
    {
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"); // UTC+05:30
        var routing = Compiled([ToCheap(f => (f.From, f.To) = ("22:00", "06:00"))], zone: kolkata);

        // 20:00 UTC is 01:30 in Kolkata (inside); 12:00 UTC is 17:30 (outside); 16:30 UTC is 22:00 (the window opens).
        Assert.Equal("groq/llama-3.3", Picked(Decide(routing, Input(), at: Noon.AddHours(8)).Plan!));
        Assert.Equal("openai/gpt-4o", Picked(Decide(routing, Input(), at: Noon).Plan!));
        Assert.Equal("groq/llama-3.3", Picked(Decide(routing, Input(), at: Noon.AddHours(4.5)).Plan!));
    }

    [Fact]
    public void The_first_matching_rule_in_order_wins_and_a_disabled_rule_is_skipped()
    {
        var off = new RuleForm { Name = "off", Enabled = false, Kind = RuleActionKinds.Fallbacks, Targets = "ollama/llama3" };
        var first = new RuleForm { Name = "batch", Tags = "batch", Kind = RuleActionKinds.Fallbacks, Targets = "mistral-eu/mistral-large" };
        var second = new RuleForm { Name = "all", Kind = RuleActionKinds.Fallbacks, Targets = "groq/llama-3.3" };
        var routing = Compiled(off, first, second);

        var (batch, _) = Decide(routing, Input(tags: ["batch"]));
        var (other, _) = Decide(routing, Input());

        Assert.Equal("mistral-eu/mistral-large", Picked(batch!));
        Assert.StartsWith("rule 2 'batch' matched tags=batch; picked mistral-eu/mistral-large", batch!.Reason, StringComparison.Ordinal);
        Assert.Equal("groq/llama-3.3", Picked(other!));
        Assert.StartsWith("rule 3 'all' matched any call", other!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_can_serve_a_model_name_the_catalogue_does_not_have()
    {
        var routing = Compiled(new RuleForm { Name = "auto", Models = "auto", Kind = RuleActionKinds.Fallbacks, Targets = "llama" });

        var (plan, refusal) = Decide(routing, Input(model: "auto"));
        var (unknown, notFound) = Decide(routing, Input(model: "nothing"));

        Assert.Null(refusal);
        Assert.Equal(["ollama/llama3", "groq/llama-3.3"], Chain(plan!));
        Assert.Null(unknown);
        Assert.Equal(404, notFound!.Error.Status);
    }

    [Fact]
    public void A_rule_that_names_no_target_of_the_calls_kind_is_passed_over()
    {
        var routing = Compiled(new RuleForm { Name = "chat-only", Kind = RuleActionKinds.Fallbacks, Targets = "gpt" });
        var trace = new RouteTrace();

        var (plan, refusal) = Decide(routing, Input(model: "embed"), kind: ModelKinds.Embedding, trace: trace);

        Assert.Null(refusal);
        Assert.Equal("openai/text-embedding-3-small", Picked(plan!));
        Assert.Equal("matched, but names no embedding target", Assert.Single(trace.Rules).Verdict);
    }

    [Fact]
    public void Tags_come_from_the_header_and_from_metadata_tags_as_a_string_or_an_array()
    {
        Assert.Equal(["a", "b", "batch", "x"], RouteInput.TagsOf("a, b", """{"model":"m","metadata":{"user":"u","tags":"batch, x"},"messages":[]}"""u8));
        Assert.Equal(["batch", "nightly"], RouteInput.TagsOf(null, """{"messages":[{"role":"user","content":"hi"}],"metadata":{"tags":["batch",7,"nightly"]}}"""u8));
        Assert.Equal(["h"], RouteInput.TagsOf("h", """{"metadata": {"tags": """u8)); // cut short: only the header's
        Assert.Empty(RouteInput.TagsOf("", """[1,2]"""u8));
    }

    [Fact]
    public void A_failover_reason_keeps_the_rule_and_the_marker_the_call_details_read()
    {
        var routing = Compiled(new RuleForm { Name = "batch→cheap", Tags = "batch", Kind = RuleActionKinds.Fallbacks, Targets = "openai/gpt-4o\ngroq/llama-3.3" });
        var (plan, _) = Decide(routing, Input(tags: ["batch"]));

        var reason = plan!.ReasonFor(1, ["openai: upstream_timeout"]);

        Assert.Equal("rule 1 'batch→cheap' matched tags=batch; picked groq/llama-3.3 after failover (openai: upstream_timeout)", reason);
        Assert.Equal(["openai: upstream_timeout"], ControlPlane.Features.Metering.CallDetailQueries.FailoversIn(reason));
    }
}
