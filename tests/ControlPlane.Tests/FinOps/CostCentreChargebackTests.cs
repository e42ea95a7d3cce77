using System.Text;
using ControlPlane.Features.FinOps;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.FinOps;

/// <summary>
/// Cost centres: inherited down the team tree (own, else the team wallet's, else the parent's), set only by finance and
/// the admins (audited), and the chargeback per cost centre in both layouts, byte for byte.
/// </summary>
public abstract class CostCentreChargebackTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private static readonly Actor Finance = new(null, "finance@test.example", Roles.FinanceAdmin);
    private AppFactory App => fixture.App;
    private static int _days;

    /// <summary>
    /// On a day of its own (far in the past, so no other calls share it): Ops (CC-100) with Ops / Build (inherits) and
    /// Ops / Build / Cache (CC-200); Sales, whose team wallet is tagged CC-300; Lab with none.
    /// </summary>
    private async Task<(DateOnly Day, string Tag, Dictionary<string, Guid> Teams)> SeedAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var day = new DateOnly(2001, 1, 1).AddDays(Interlocked.Increment(ref _days));
        var teams = new Dictionary<string, Guid>();
        async Task<Guid> Team(string name, string? parent) => teams[name] = await App.WithScopeAsync(async sp =>
        {
            var made = await sp.GetRequiredService<TeamDirectory>().CreateAsync(Actor.CommandLine, $"{name} {tag}", parent is null ? null : teams[parent]);
            Assert.True(made.Succeeded, made.Error);
            return made.Value!.Id;
        });
        await Team("Ops", null);
        await Team("Build", "Ops");
        await Team("Cache", "Build");
        await Team("Sales", null);
        await Team("Lab", null);
        await App.WithScopeAsync(async sp =>
        {
            var centres = sp.GetRequiredService<CostCentres>();
            Assert.True((await centres.SetTeamAsync(Finance, teams["Ops"], " CC-100 ")).Succeeded);
            Assert.True((await centres.SetTeamAsync(Finance, teams["Cache"], "CC-200")).Succeeded);
            var wallet = await sp.GetRequiredService<WalletService>().SaveAsync(Actor.CommandLine, WalletOwners.Team, teams["Sales"], new WalletForm());
            Assert.True(wallet.Succeeded, wallet.Error);
            Assert.True((await centres.SetWalletAsync(Finance, wallet.Value!.Id, "CC-300")).Succeeded);
            return true;
        });
        await using var db = App.OpenDb();
        var at = day.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc);
        void Call(string team, decimal cost, int n) => db.Calls.Add(new CallRecord
        {
            Id = Guid.NewGuid(), At = at.AddMinutes(n), TeamId = teams[team], Endpoint = "chat", ModelRequested = "gpt-4o", Status = 200,
            InputTokens = 100, OutputTokens = 10, Cost = cost, UsageSource = UsageSource.Provider, LatencyMs = 100,
        });
        Call("Ops", 1.50m, 0);
        Call("Build", 0.25m, 1);
        Call("Build", 0.25m, 2);
        Call("Cache", 2.00m, 3);
        Call("Sales", 0.10m, 4);
        Call("Lab", 3.00m, 5);
        await db.SaveChangesAsync();
        return (day, tag, teams);
    }

    [Fact]
    public async Task A_subteam_without_its_own_cost_centre_is_charged_where_its_parent_is()
    {
        var (_, _, teams) = await SeedAsync();
        var views = await App.WithScopeAsync(async sp =>
        {
            var centres = sp.GetRequiredService<CostCentres>();
            return new[] { await centres.OfTeamAsync(teams["Build"]), await centres.OfTeamAsync(teams["Cache"]), await centres.OfTeamAsync(teams["Sales"]), await centres.OfTeamAsync(teams["Lab"]) };
        });
        Assert.Equal(("CC-100", (string?)null), (views[0].Effective!.Code, views[0].Own));
        Assert.Equal("CC-200", views[1].Effective!.Code);
        Assert.Equal("CC-300", views[2].Effective!.Code);
        Assert.Null(views[3].Effective);
    }

    [Theory]
    [InlineData("CC 100", "letters, digits")]
    [InlineData("-CC", "letters, digits")]
    [InlineData("=SUM(A1)", "letters, digits")]
    [InlineData("A2345678901234567890123456789012345678901", "at most 40")]
    public async Task A_bad_cost_centre_is_refused_with_what_is_wrong(string code, string problem)
    {
        var (_, _, teams) = await SeedAsync();
        var saved = await App.WithScopeAsync(sp => sp.GetRequiredService<CostCentres>().SetTeamAsync(Finance, teams["Lab"], code));
        Assert.Contains(problem, saved.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_finance_and_the_admins_set_a_cost_centre_and_each_change_is_audited()
    {
        var (_, _, teams) = await SeedAsync();
        var lead = new Actor(null, "lead@test.example", Roles.TeamLead);
        var refused = await App.WithScopeAsync(sp => sp.GetRequiredService<CostCentres>().SetTeamAsync(lead, teams["Lab"], "CC-9"));
        Assert.False(refused.Succeeded);
        await using var db = App.OpenDb();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "team.cost_centre" && e.Target == $"team:{teams["Ops"]}");
        Assert.Equal(Finance.Name, entry.Actor);
        Assert.Contains("none → CC-100", entry.Details, StringComparison.Ordinal);
    }

    private async Task<string> CsvAsync(DateOnly day, string layout)
    {
        using var stream = new MemoryStream();
        await App.WithScopeAsync(async sp => { await sp.GetRequiredService<ChargebackExport>().WriteCostCentreCsvAsync(stream, day, day, layout); return true; });
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task The_plain_layout_has_one_line_per_cost_centre_unassigned_last_and_a_total()
    {
        var (day, _, _) = await SeedAsync();
        Assert.Equal(
            "cost_centre,teams,calls,input_tokens,cached_input_tokens,output_tokens,cost_usd\r\n" +
            "CC-100,2,3,300,0,30,2\r\n" +
            "CC-200,1,1,100,0,10,2\r\n" +
            "CC-300,1,1,100,0,10,0.1\r\n" +
            "(unassigned),1,1,100,0,10,3\r\n" +
            "Total,5,6,600,0,60,7.1\r\n",
            await CsvAsync(day, ChargebackLayouts.CostCentre));
    }

    [Fact]
    public async Task The_ERP_layout_has_a_header_row_per_cost_centre_its_team_lines_and_a_trailer()
    {
        var (day, tag, teams) = await SeedAsync();
        var d = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            "record_type,cost_centre,team_path,team_id,period_from,period_to,calls,input_tokens,cached_input_tokens,output_tokens,amount,currency\r\n" +
            $"H,CC-100,,,{d},{d},3,300,0,30,2,USD\r\n" +
            $"L,CC-100,Ops {tag},{teams["Ops"]},{d},{d},1,100,0,10,1.5,USD\r\n" +
            $"L,CC-100,Ops {tag} / Build {tag},{teams["Build"]},{d},{d},2,200,0,20,0.5,USD\r\n" +
            $"H,CC-200,,,{d},{d},1,100,0,10,2,USD\r\n" +
            $"L,CC-200,Ops {tag} / Build {tag} / Cache {tag},{teams["Cache"]},{d},{d},1,100,0,10,2,USD\r\n" +
            $"H,CC-300,,,{d},{d},1,100,0,10,0.1,USD\r\n" +
            $"L,CC-300,Sales {tag},{teams["Sales"]},{d},{d},1,100,0,10,0.1,USD\r\n" +
            $"H,(unassigned),,,{d},{d},1,100,0,10,3,USD\r\n" +
            $"L,(unassigned),Lab {tag},{teams["Lab"]},{d},{d},1,100,0,10,3,USD\r\n" +
            $"T,,,,{d},{d},6,600,0,60,7.1,USD\r\n",
            await CsvAsync(day, ChargebackLayouts.Erp));
    }
}

public sealed class CostCentreChargebackTests_on_Sqlite(SqliteApp f) : CostCentreChargebackTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CostCentreChargebackTests_on_Postgres(PostgresApp f) : CostCentreChargebackTests<PostgresApp>(f), IClassFixture<PostgresApp>;
