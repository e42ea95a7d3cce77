using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Features.People;
using ControlPlane.Features.Projects;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>A project's budget counts too: a key filed under a spent project is refused even when its team has room.</summary>
public abstract class ProjectWalletTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    private static readonly Actor Admin = new(null, "test-admin", Roles.Admin);

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_key_under_a_project_without_room_is_refused_by_the_project_while_its_team_has_room()
    {
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(10, 0, 10) });
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Proj-{Guid.NewGuid():N}"[..20], 10m);
        var key = await gateway.App.WithScopeAsync(async sp =>
        {
            var project = await sp.GetRequiredService<ProjectService>().CreateAsync(Admin, team, "search-relevance");
            Assert.True(project.Succeeded, project.Error);
            var wallet = await sp.GetRequiredService<WalletService>().SaveAsync(WalletTestKit.Finance, WalletOwners.Project, project.Value!.Id,
                new WalletForm { Limit = 0.0001m, Period = WalletPeriods.Monthly });
            Assert.True(wallet.Succeeded, wallet.Error);
            var created = await sp.GetRequiredService<KeyService>().CreateAsync(Admin, team, "project-key", null, project.Value.Id);
            Assert.True(created.Succeeded, created.Error);
            return created.Value!.Plaintext;
        });
        using var client = gateway.Client(key);

        var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt","max_tokens":100,"messages":[{"role":"user","content":"go"}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var wallet = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("wallet");
        Assert.Equal("Project search-relevance", wallet.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Projects_are_added_by_whoever_manages_the_team_once_per_name()
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Proj2-{Guid.NewGuid():N}"[..20], null);
        await gateway.App.WithScopeAsync(async sp =>
        {
            var projects = sp.GetRequiredService<ProjectService>();
            Assert.False((await projects.CreateAsync(new Actor(null, "member", Roles.Member), team, "x")).Succeeded);
            Assert.True((await projects.CreateAsync(Admin, team, "x")).Succeeded);
            Assert.False((await projects.CreateAsync(Admin, team, "x")).Succeeded);
            Assert.False((await projects.CreateAsync(Admin, team, "")).Succeeded);
            Assert.Equal(["x"], (await projects.ListAsync(Admin, team)).Select(p => p.Name));
            var other = (await sp.GetRequiredService<ControlPlane.Features.Teams.TeamDirectory>().FindByNameAsync("Sales"))!;
            var wrongTeam = await sp.GetRequiredService<KeyService>().CreateAsync(Admin, other.Id, "k", null, (await projects.ListAsync(Admin, team))[0].Id);
            Assert.False(wrongTeam.Succeeded);
            return true;
        });
    }
}

public sealed class ProjectWalletTests_on_Sqlite(SqliteGatewayApp g) : ProjectWalletTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class ProjectWalletTests_on_Postgres(PostgresGatewayApp g) : ProjectWalletTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
