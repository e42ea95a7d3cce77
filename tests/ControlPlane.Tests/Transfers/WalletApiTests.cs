using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Transfers;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Transfers.TransferTestKit;

namespace ControlPlane.Tests.Transfers;

/// <summary>
/// The wallet API over HTTP with a real key: the key's balances, transfer requests only where the team allows
/// them, decisions only where the team allows them and the key's creator may decide, problem details for errors.
/// </summary>
public abstract class WalletApiTests<TApp>(TApp app) where TApp : TransferApp
{
    /// <summary>A team Leo leads with a wallet of 10 USD, and a key Leo created for it.</summary>
    private async Task<(Guid Team, Guid Wallet, string Key)> LeosTeamAsync(bool allowRequests = false, bool allowDecisions = false)
    {
        var wallet = await LedWalletAsync(app, "Api", 10m);
        var team = (await ReadAsync(app, wallet)).OwnerId;
        await SetAsync(team, allowRequests, allowDecisions);
        return (team, wallet, await KeyAsync(Leo, team));
    }

    private Task<bool> SetAsync(Guid team, bool allowRequests, bool allowDecisions) => app.App.WithScopeAsync(async sp =>
    {
        var set = await sp.GetRequiredService<TeamDirectory>().SetKeyTransferApiAsync(Actor.CommandLine, team, allowRequests, allowDecisions);
        Assert.True(set.Succeeded, set.Error);
        return true;
    });

    private async Task<string> KeyAsync(string creator, Guid team)
    {
        var actor = await app.App.ActorAsync(creator);
        return await app.App.WithScopeAsync(async sp =>
        {
            var created = await sp.GetRequiredService<KeyService>().CreateAsync(actor, team, $"api-{Guid.NewGuid():N}"[..20], null);
            Assert.True(created.Succeeded, created.Error);
            return created.Value!.Plaintext;
        });
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static Guid IdOf(JsonElement transfer) => transfer.GetProperty("id").GetGuid();

    [DatabaseFact]
    public async Task Balance_lists_the_keys_wallets_with_numbers_only_for_those_its_holder_may_see()
    {
        var (_, wallet, key) = await LeosTeamAsync();

        var response = await app.Client(key).GetAsync("/v1/wallet/balance");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith(body.GetProperty("key").GetString()!, key);
        var wallets = body.GetProperty("wallets").EnumerateArray().ToList();
        var own = wallets.Single(w => w.GetProperty("id").GetGuid() == wallet);
        Assert.True(own.GetProperty("shown").GetBoolean());
        Assert.Equal(JsonValueKind.Number, own.GetProperty("limit").ValueKind);
        Assert.Equal(10m, own.GetProperty("limit").GetDecimal());
        Assert.Equal(0m, own.GetProperty("spent").GetDecimal());
        Assert.Equal(0m, own.GetProperty("held").GetDecimal());
        Assert.Equal(10m, own.GetProperty("available").GetDecimal());
        Assert.Equal(JsonValueKind.String, own.GetProperty("resets_at").ValueKind);
        // The organisation's wallet covers the key too, but its money is not the key holder's to read.
        var org = wallets.Single(w => w.GetProperty("owner").GetString() == ControlPlane.Features.Wallets.WalletOwners.Organization);
        Assert.False(org.GetProperty("shown").GetBoolean());
        Assert.Equal(JsonValueKind.Null, org.GetProperty("spent").ValueKind);
    }

    [DatabaseFact]
    public async Task Without_a_key_the_api_answers_401()
    {
        var response = await app.Client().GetAsync("/v1/wallet/balance");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [DatabaseFact]
    public async Task A_request_is_refused_while_the_team_does_not_allow_it()
    {
        var (_, wallet, key) = await LeosTeamAsync(allowRequests: false);

        var response = await app.Client(key).PostAsync("/v1/wallet/transfers", Json("""{"amount": 5, "reason": "nightly batch"}"""));

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("does not let its keys request transfers", problem.GetProperty("detail").GetString());
        await using var db = Db(app);
        Assert.DoesNotContain(db.Transfers, t => t.ToWalletId == wallet);
    }

    [DatabaseFact]
    public async Task A_request_where_the_team_allows_it_goes_to_the_teams_wallet_as_its_creator_and_waits_in_the_queue()
    {
        var (_, wallet, key) = await LeosTeamAsync(allowRequests: true);

        var response = await app.Client(key).PostAsync("/v1/wallet/transfers", Json("""{"amount": 5.25, "reason": "nightly batch"}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var made = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(wallet, made.GetProperty("to_wallet_id").GetGuid());
        Assert.Equal(5.25m, made.GetProperty("amount").GetDecimal());
        Assert.Equal(TransferStates.Pending, made.GetProperty("state").GetString());
        Assert.Equal(Leo, made.GetProperty("requested_by").GetString());
        var queue = await app.App.WithScopeAsync(async sp =>
            await sp.GetRequiredService<TransferQueries>().ListAsync(await app.App.ActorAsync(Fiona), TransferView.Queue));
        Assert.Contains(queue, t => t.Id == IdOf(made) && t.Amount == 5.25m);
        Assert.Equal(1, await AuditCountAsync(app, IdOf(made), "transfer.requested"));
    }

    [DatabaseFact]
    public async Task A_request_for_a_wallet_the_creator_does_not_lead_is_403()
    {
        var (_, _, key) = await LeosTeamAsync(allowRequests: true);
        var other = await WalletAsync(app, "NotLeos", 10m);

        var response = await app.Client(key).PostAsync("/v1/wallet/transfers", Json($$"""{"to_wallet_id": "{{other}}", "amount": 5, "reason": "nightly batch"}"""));

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("teams they lead", problem.GetProperty("detail").GetString());
    }

    [DatabaseFact]
    public async Task Malformed_bodies_and_bad_amounts_are_400()
    {
        var (_, _, key) = await LeosTeamAsync(allowRequests: true);
        var client = app.Client(key);

        await ProblemAsync(await client.PostAsync("/v1/wallet/transfers", Json("{not json")), HttpStatusCode.BadRequest);
        await ProblemAsync(await client.PostAsync("/v1/wallet/transfers", Json("""{"amount": "lots", "reason": "nightly batch"}""")), HttpStatusCode.BadRequest);
        await ProblemAsync(await client.PostAsync("/v1/wallet/transfers", Json("""{"reason": "nightly batch"}""")), HttpStatusCode.BadRequest);
        var negative = await ProblemAsync(await client.PostAsync("/v1/wallet/transfers", Json("""{"amount": -3, "reason": "nightly batch"}""")), HttpStatusCode.BadRequest);
        Assert.Contains("more than 0", negative.GetProperty("detail").GetString());
        await ProblemAsync(await client.PostAsync("/v1/wallet/transfers", Json("""{"amount": 1.234, "reason": "nightly batch"}""")), HttpStatusCode.BadRequest);
    }

    [DatabaseFact]
    public async Task Approve_is_refused_for_a_key_whose_creator_does_not_decide_transfers()
    {
        var (_, wallet, key) = await LeosTeamAsync(allowRequests: true, allowDecisions: true);
        var requested = await RequestAsync(app, Fiona, null, wallet, 3m);
        Assert.True(requested.Succeeded, requested.Error);

        var response = await app.Client(key).PostAsync($"/v1/wallet/transfers/{requested.Value!.Id}/approve", Json("""{"comment": "go"}"""));

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("only a FinanceAdmin or an Owner", problem.GetProperty("detail").GetString());
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
    }

    [DatabaseFact]
    public async Task Decisions_are_refused_while_the_team_does_not_allow_them_even_for_an_owners_key()
    {
        var (team, wallet, _) = await LeosTeamAsync(allowRequests: true, allowDecisions: false);
        var ownersKey = await KeyAsync(Olivia, team);
        var requested = await RequestAsync(app, Leo, null, wallet, 3m);

        var response = await app.Client(ownersKey).PostAsync($"/v1/wallet/transfers/{requested.Value!.Id}/approve", Json("{}"));

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("does not let its keys approve or reject", problem.GetProperty("detail").GetString());
    }

    [DatabaseFact]
    public async Task An_owners_key_approves_where_the_team_allows_it_and_a_second_decision_is_409()
    {
        var (team, wallet, _) = await LeosTeamAsync(allowDecisions: true);
        var ownersKey = await KeyAsync(Olivia, team);
        var requested = await RequestAsync(app, Leo, null, wallet, 3m);
        Assert.True(requested.Succeeded, requested.Error);
        var client = app.Client(ownersKey);

        var approved = await client.PostAsync($"/v1/wallet/transfers/{requested.Value!.Id}/approve", Json("""{"comment": "for the batch"}"""));

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(TransferStates.Approved, (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(13m, (await ReadAsync(app, wallet)).Limit);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.approved"));
        var again = await client.PostAsync($"/v1/wallet/transfers/{requested.Value.Id}/reject", Json("""{"comment": "changed my mind"}"""));
        var problem = await ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Contains("already approved", problem.GetProperty("detail").GetString());
    }

    [DatabaseFact]
    public async Task An_unknown_transfer_is_404_and_a_reject_without_comment_400()
    {
        var (_, _, key) = await LeosTeamAsync(allowDecisions: true);
        var client = app.Client(key);

        await ProblemAsync(await client.PostAsync($"/v1/wallet/transfers/{Guid.NewGuid()}/approve", Json("{}")), HttpStatusCode.NotFound);
        await ProblemAsync(await client.PostAsync("/v1/wallet/transfers/not-an-id/reject", Json("""{"comment": "no"}""")), HttpStatusCode.NotFound);
        await ProblemAsync(await client.PostAsync($"/v1/wallet/transfers/{Guid.NewGuid()}/reject", Json("{}")), HttpStatusCode.BadRequest);
    }
}

public sealed class WalletApiTests_on_Sqlite(SqliteTransferApp g) : WalletApiTests<SqliteTransferApp>(g), IClassFixture<SqliteTransferApp>;

public sealed class WalletApiTests_on_Postgres(PostgresTransferApp g) : WalletApiTests<PostgresTransferApp>(g), IClassFixture<PostgresTransferApp>;
