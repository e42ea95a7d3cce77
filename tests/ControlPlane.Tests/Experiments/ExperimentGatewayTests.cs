using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway.Clients;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Tests.Experiments;

/// <summary>Experiments through the real gateway: variants and their overrides reach the provider, users stay put, promotion.</summary>
public abstract class ExperimentGatewayTests<TApp>(TApp gateway) where TApp : ExperimentsApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ExperimentForm Form(string alias, StickyBy sticky = StickyBy.EndUser) => new()
    {
        Name = $"test {alias}", Model = alias, StickyBy = sticky,
        Variants =
        [
            new() { Name = "A", TargetAlias = alias, Percent = 50, Temperature = 0.2m },
            new() { Name = "B", TargetAlias = "cheap", Percent = 50, MaxTokens = 77 },
        ],
    };

    private async Task<(string RequestId, FakeRequest Sent)> CallAsync(string alias, string user, string marker)
    {
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions",
            Json($$"""{"model":"{{alias}}","user":"{{user}}","temperature":1,"messages":[{"role":"user","content":"{{marker}}"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = gateway.Upstream.Requests.Last(r => r.Body.Contains(marker, StringComparison.Ordinal));
        return (response.Headers.GetValues("X-Request-Id").Single(), sent);
    }

    [Fact]
    public async Task Each_variant_reaches_the_provider_with_its_model_and_overrides_and_the_row_names_it()
    {
        var experiment = await gateway.StartAsync(Form("exp-split"));
        var seen = new Dictionary<string, (FakeRequest Sent, CallRecord Row)>();

        for (var i = 0; i < 40 && seen.Count < 2; i++)
        {
            var (id, sent) = await CallAsync("exp-split", $"split-user-{i}", $"split-{i}-{Guid.NewGuid():N}");
            var row = await gateway.CallAsync(id);
            seen.TryAdd(row.ExperimentVariant!, (sent, row));
        }

        Assert.Equal(["A", "B"], seen.Keys.Order());
        var a = seen["A"];
        Assert.Equal(("gpt-4o-mini", 0.2m), (a.Sent.Json()["model"]!.GetValue<string>(), a.Sent.Json()["temperature"]!.GetValue<decimal>()));
        Assert.Equal((experiment.Id, "exp-split"), (a.Row.ExperimentId!.Value, a.Row.ModelRequested));
        var b = seen["B"];
        Assert.Equal("cheap-model", b.Sent.Json()["model"]!.GetValue<string>());
        Assert.Equal(77, b.Sent.Json()["max_tokens"]!.GetValue<int>());
        Assert.Equal(1m, b.Sent.Json()["temperature"]!.GetValue<decimal>()); // B does not override it: the caller's value stays
        Assert.Equal((experiment.Id, "exp-split", "cheap-model"), (b.Row.ExperimentId!.Value, b.Row.ModelRequested, b.Row.ModelServed));
        var detail = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CallDetailQueries>().FindAsync(Actor.CommandLine, b.Row.Id));
        Assert.Equal("'test exp-split', variant B", Assert.Single(detail!.Notes, n => n.Label == "Experiment").Text);
    }

    [Fact]
    public async Task The_same_end_user_stays_on_one_variant_across_calls()
    {
        await gateway.StartAsync(Form("exp-stream"));

        var variants = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var (id, _) = await CallAsync("exp-stream", "sticky-alice", $"sticky-{i}-{Guid.NewGuid():N}");
            variants.Add((await gateway.CallAsync(id)).ExperimentVariant!);
        }

        Assert.Single(variants.Distinct());
    }

    [Fact]
    public async Task The_official_OpenAI_client_gets_its_answer_through_an_experiment()
    {
        var experiment = await gateway.StartAsync(Form("exp-sdk"));
        gateway.Upstream.Enqueue(new FakeReply { Text = "from a variant", Usage = new(40, 0, 6) });
        var ids = new RequestIds();
        var client = new OpenAIClient(new ApiKeyCredential(gateway.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(ids)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

        ClientResult<ChatCompletion> result = await client.GetChatClient("exp-sdk").CompleteChatAsync(
            [new UserChatMessage("sdk through an experiment")], new ChatCompletionOptions { EndUserId = "sdk-user" });

        Assert.Equal("from a variant", Assert.Single(result.Value.Content).Text);
        var row = await gateway.CallAsync(ids.Single());
        Assert.Equal(experiment.Id, row.ExperimentId);
        Assert.True(row.ExperimentVariant is "A" or "B", row.ExperimentVariant);
        Assert.Equal(200, row.Status);
    }

    [Fact]
    public async Task A_concluded_experiment_sends_every_user_to_the_winner_until_archived()
    {
        var experiment = await gateway.StartAsync(Form("exp-promote"));
        var concluded = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.ConcludeAsync(Actor.CommandLine, experiment.Id, "B"));
        Assert.True(concluded.Succeeded, concluded.Error);

        for (var i = 0; i < 6; i++)
        {
            var (id, sent) = await CallAsync("exp-promote", $"promoted-{i}", $"promoted-{i}-{Guid.NewGuid():N}");
            Assert.Equal("cheap-model", sent.Json()["model"]!.GetValue<string>());
            Assert.Equal("B", (await gateway.CallAsync(id)).ExperimentVariant);
        }

        var archived = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.ArchiveAsync(Actor.CommandLine, experiment.Id));
        Assert.True(archived.Succeeded, archived.Error);
        var (after, afterSent) = await CallAsync("exp-promote", "promoted-0", $"archived-{Guid.NewGuid():N}");
        Assert.Equal("gpt-4o-mini", afterSent.Json()["model"]!.GetValue<string>());
        Assert.Null((await gateway.CallAsync(after)).ExperimentId);
    }

    [Fact]
    public async Task A_second_experiment_on_the_same_alias_and_bad_forms_are_refused_with_the_reason()
    {
        await gateway.StartAsync(Form("exp-overlap"));

        var overlap = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.SaveAsync(Actor.CommandLine, null, Form("exp-overlap")));
        var bad = Form("exp-overlap");
        bad.Variants[0].Percent = 70;
        var badShares = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.SaveAsync(Actor.CommandLine, null, bad));
        var unknown = Form("no-such-alias");
        var unknownAlias = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.SaveAsync(Actor.CommandLine, null, unknown));
        var member = await gateway.ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.SaveAsync(new Actor(null, "m", "Member"), null, Form("exp-sdk")));

        Assert.Contains("already splits 'exp-overlap'", overlap.Error, StringComparison.Ordinal);
        Assert.Equal("The shares add up to 120 %, not 100 %.", badShares.Error);
        Assert.Contains("'no-such-alias' is not a chat model alias", unknownAlias.Error, StringComparison.Ordinal);
        Assert.Equal("Only an Owner or Admin can change experiments.", member.Error);
    }

    [Fact]
    public async Task The_auto_promote_job_concludes_an_experiment_once_the_winner_is_significant()
    {
        // The experiment and its calls are put in the database directly: the job reads only what is there.
        var id = Guid.NewGuid();
        await using (var db = gateway.App.OpenDb())
        {
            var experiment = new Experiment
            {
                Id = id, Name = "auto", Model = $"auto-{id:N}", Status = ExperimentStatus.Running, Goal = ExperimentGoal.Cost, Alpha = 0.05m,
                MinSamples = 20, AutoPromote = true, CreatedAt = DateTime.UtcNow,
            };
            experiment.Variants.Add(new ExperimentVariant { Id = Guid.NewGuid(), ExperimentId = id, Name = "A", TargetAlias = "gpt", Percent = 50, Position = 0 });
            experiment.Variants.Add(new ExperimentVariant { Id = Guid.NewGuid(), ExperimentId = id, Name = "B", TargetAlias = "cheap", Percent = 50, Position = 1 });
            db.Experiments.Add(experiment);
            // 25 calls each: A costs 0.010 ± 10 %, B 0.001 ± 10 %.
            for (var i = 0; i < 50; i++)
            {
                var variant = i % 2 == 0 ? "A" : "B";
                var cost = (variant == "A" ? 0.010m : 0.001m) * (0.9m + 0.05m * (i % 5));
                db.Calls.Add(new CallRecord { Id = Guid.CreateVersion7(), At = DateTime.UtcNow, Endpoint = "chat", Status = 200, Cost = cost, LatencyMs = 100 + i, ExperimentId = id, ExperimentVariant = variant });
            }
            await db.SaveChangesAsync();
        }

        await gateway.App.WithScopeAsync(async sp =>
        {
            await sp.GetRequiredService<ExperimentAutoPromoter>().RunAsync(CancellationToken.None);
            return true;
        });

        await using var check = gateway.App.OpenDb();
        var promoted = await check.Experiments.AsNoTracking().SingleAsync(e => e.Id == id);
        Assert.Equal((ExperimentStatus.Concluded, "B", ExperimentAutoPromoter.Actor), (promoted.Status, promoted.Winner, promoted.ConcludedBy));
        Assert.True(await check.AuditEntries.AnyAsync(e => e.Action == "experiment.promoted" && e.Target == "experiment:auto" && e.Actor == ExperimentAutoPromoter.Actor));
        var report = await gateway.ServiceAsync<ExperimentService, ExperimentReport?>(s => s.ResultsAsync(Actor.CommandLine, id));
        Assert.Equal([25L, 25L], report!.Variants.Select(v => v.Calls));
        Assert.True(report.Variants[1].VsControl!.Cost.Significant);
    }
}

public sealed class ExperimentGatewayTests_on_Sqlite(SqliteExperimentsApp g) : ExperimentGatewayTests<SqliteExperimentsApp>(g), IClassFixture<SqliteExperimentsApp>;

public sealed class ExperimentGatewayTests_on_Postgres(PostgresExperimentsApp g) : ExperimentGatewayTests<PostgresExperimentsApp>(g), IClassFixture<PostgresExperimentsApp>;
