using System.Text;
using System.Text.Json;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.Keys;

namespace ControlPlane.Tests.Experiments;

/// <summary>Sticky assignment, scopes and the body edits of a variant, on their own.</summary>
public sealed class AssignmentTests
{
    private static LiveExperiment Split(params int[] percents) => new(Guid.Parse("4b1c6a55-0f4e-4e0a-9d7e-1f6d2b9c0a11"), "t", "gpt", new CallScope(null, null, null), StickyBy.EndUser,
        [.. percents.Select((p, i) => new LiveVariant($"V{i}", $"alias-{i}", p, null, null))], null);

    [Fact]
    public void The_same_user_always_gets_the_same_variant()
    {
        var experiment = Split(50, 50);

        foreach (var user in Enumerable.Range(0, 200).Select(i => $"user-{i}"))
            Assert.Equal(experiment.Assign(user).Name, experiment.Assign(user).Name);
    }

    [Theory]
    [InlineData(new[] { 50, 50 })]
    [InlineData(new[] { 20, 30, 50 })]
    [InlineData(new[] { 90, 10 })]
    public void Many_users_split_by_the_percentages_within_two_points(int[] percents)
    {
        var experiment = Split(percents);
        const int users = 20_000;

        var counts = Enumerable.Range(0, users).Select(i => experiment.Assign($"user-{i}@example.com").Name).CountBy(n => n).ToDictionary();

        for (var i = 0; i < percents.Length; i++)
            Assert.InRange(100.0 * counts.GetValueOrDefault($"V{i}") / users, percents[i] - 2, percents[i] + 2);
    }

    [Fact]
    public void A_fixed_hash_puts_a_known_user_in_a_known_bucket()
    {
        var id = Guid.Parse("4b1c6a55-0f4e-4e0a-9d7e-1f6d2b9c0a11");

        var bucket = StickyAssignment.Bucket(id, "alice");

        Assert.InRange(bucket, 0, StickyAssignment.Buckets - 1);
        Assert.Equal(bucket, StickyAssignment.Bucket(id, "alice"));
        Assert.Equal(0, StickyAssignment.Pick([50, 50], 0));
        Assert.Equal(0, StickyAssignment.Pick([50, 50], 4_999));
        Assert.Equal(1, StickyAssignment.Pick([50, 50], 5_000));
        Assert.Equal(2, StickyAssignment.Pick([20, 30, 50], 9_999));
    }

    [Fact]
    public void A_concluded_experiment_sends_everyone_to_the_winner()
    {
        var experiment = Split(50, 50) with { Winner = new LiveVariant("V1", "alias-1", 50, null, null) };

        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal("V1", experiment.Assign($"u{i}").Name));
    }

    [Fact]
    public void A_scope_matches_the_team_subtree_the_project_and_the_tag()
    {
        var team = Guid.NewGuid();
        var child = Guid.NewGuid();
        var project = Guid.NewGuid();
        var scope = new CallScope(new HashSet<Guid> { team, child }, project, "batch");
        KeyEntry Key(Guid t, Guid? p) => new(Guid.NewGuid(), t, "cp-x", "k", null, null, ProjectId: p);

        Assert.True(scope.Matches(Key(child, project), "nightly, Batch"));
        Assert.False(scope.Matches(Key(child, project), "nightly"));
        Assert.False(scope.Matches(Key(Guid.NewGuid(), project), "batch"));
        Assert.False(scope.Matches(Key(team, Guid.NewGuid()), "batch"));
        Assert.True(new CallScope(null, null, null).Matches(Key(Guid.NewGuid(), null), null));
    }

    [Fact]
    public void A_variant_rewrites_the_model_and_its_overrides_and_keeps_everything_else()
    {
        var body = """{"model":"gpt", "messages":[{"role":"user","content":"hi"}],"temperature":1,"x-extra":{"model":"keep"}}"""u8;

        var edited = TopLevelFields.Set(body, CallExperiments.Edits(new LiveVariant("B", "cheap", 50, 0.2m, 77)));

        var json = JsonDocument.Parse(edited).RootElement;
        Assert.Equal("cheap", json.GetProperty("model").GetString());
        Assert.Equal(0.2m, json.GetProperty("temperature").GetDecimal());
        Assert.Equal(77, json.GetProperty("max_tokens").GetInt32());
        Assert.Equal("keep", json.GetProperty("x-extra").GetProperty("model").GetString());
        Assert.Contains("\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]", Encoding.UTF8.GetString(edited), StringComparison.Ordinal);
    }

    [Fact]
    public void A_max_tokens_override_replaces_max_completion_tokens_where_the_caller_used_it()
    {
        var body = """{"model":"gpt","messages":[],"max_completion_tokens":500}"""u8;

        var edited = JsonDocument.Parse(TopLevelFields.Set(body, CallExperiments.Edits(new LiveVariant("B", "gpt", 50, null, 64)))).RootElement;

        Assert.Equal(64, edited.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(edited.TryGetProperty("max_tokens", out _));
    }

    [Fact]
    public void A_body_that_is_not_an_object_is_refused()
    {
        Assert.ThrowsAny<JsonException>(() => TopLevelFields.Set("[1,2]"u8, [new("model", "\"x\""u8.ToArray())]));
        Assert.ThrowsAny<JsonException>(() => TopLevelFields.Set("{\"model\":"u8, [new("model", "\"x\""u8.ToArray())]));
    }
}
