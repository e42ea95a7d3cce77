using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Teams;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Transfers;

/// <summary>The gateway with a low two-approver threshold (50 USD), so tests cross it with small budgets.</summary>
public abstract class TransferApp(DatabaseProvider provider) : GatewayApp(provider)
{
    public const decimal TwoApproverAbove = 50m;

    protected override void AddSettings(IDictionary<string, string?> settings)
    {
        settings["Transfers:TwoApproverAbove"] = TwoApproverAbove.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class SqliteTransferApp() : TransferApp(DatabaseProvider.Sqlite);

public sealed class PostgresTransferApp() : TransferApp(DatabaseProvider.Postgres);

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>People of the demo organisation and helpers to request and decide transfers as them.</summary>
public static class TransferTestKit
{
    public const string Fiona = "fiona.finance@acme.test", Olivia = "olivia.owner@acme.test", Leo = "leo.lead@acme.test",
        Rita = "rita.research@acme.test", Mia = "mia.member@acme.test", Adam = "adam.admin@acme.test", Aria = "aria.auditor@acme.test";

    /// <summary>A new team with a wallet of <paramref name="limit"/>; its wallet's id.</summary>
    public static async Task<Guid> WalletAsync(GatewayApp app, string prefix, decimal limit)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(app, $"{prefix}-{Guid.NewGuid():N}"[..20], limit);
        return (await WalletTestKit.WalletOfTeamAsync(app, team)).Id;
    }

    /// <summary>A new team that Leo leads, with a wallet of <paramref name="limit"/>; its wallet's id.</summary>
    public static async Task<Guid> LedWalletAsync(GatewayApp app, string prefix, decimal limit)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(app, $"{prefix}-{Guid.NewGuid():N}"[..20], limit);
        var leo = await app.App.UserIdAsync(Leo);
        await app.App.WithScopeAsync(async sp =>
        {
            var added = await sp.GetRequiredService<ControlPlane.Features.Teams.TeamDirectory>().AddMemberAsync(Actor.CommandLine, team, leo, ControlPlane.Features.Teams.TeamRoles.Lead);
            Assert.True(added.Succeeded, added.Error);
            return true;
        });
        return (await WalletTestKit.WalletOfTeamAsync(app, team)).Id;
    }

    public static async Task<Wallet> ReadAsync(GatewayApp app, Guid walletId)
    {
        await using var db = app.App.OpenDb();
        return await db.Wallets.AsNoTracking().SingleAsync(w => w.Id == walletId);
    }

    public static Task<Outcome<Transfer>> RequestAsync(GatewayApp app, string email, Guid? from, Guid to, decimal amount, DateTime? grantExpiresAt = null, TimeProvider? clock = null) =>
        UseAsync(app, email, clock, (s, a) => s.RequestAsync(a, new TransferForm { FromWalletId = from, ToWalletId = to, Amount = amount, Reason = "more experiments", GrantExpiresAt = grantExpiresAt }));

    public static Task<Outcome<Transfer>> ApproveAsync(GatewayApp app, string email, Guid id, TimeProvider? clock = null) =>
        UseAsync(app, email, clock, (s, a) => s.ApproveAsync(a, id, "fine"));

    public static Task<Outcome<Transfer>> RejectAsync(GatewayApp app, string email, Guid id, string? comment = "not this month") =>
        UseAsync(app, email, null, (s, a) => s.RejectAsync(a, id, comment));

    /// <summary>Runs <paramref name="use"/> on a TransferService of its own scope, with <paramref name="clock"/> when given.</summary>
    public static async Task<T> UseAsync<T>(GatewayApp app, string email, TimeProvider? clock, Func<TransferService, Actor, Task<T>> use)
    {
        var actor = await app.App.ActorAsync(email);
        await using var scope = app.App.Services.CreateAsyncScope();
        var service = clock is null ? scope.ServiceProvider.GetRequiredService<TransferService>() : ActivatorUtilities.CreateInstance<TransferService>(scope.ServiceProvider, clock);
        return await use(service, actor);
    }

    public static TransferSweeper Sweeper(GatewayApp app, TimeProvider clock) =>
        ActivatorUtilities.CreateInstance<TransferSweeper>(app.App.Services, clock);

    public static async Task<Transfer> TransferAsync(GatewayApp app, Guid id)
    {
        await using var db = app.App.OpenDb();
        return await db.Transfers.AsNoTracking().Include(t => t.Decisions).SingleAsync(t => t.Id == id);
    }

    /// <summary>The sum of a wallet's budget account: what transfers moved into it (less what they moved out).</summary>
    public static async Task<decimal> BudgetMovedAsync(GatewayApp app, Guid walletId)
    {
        await using var db = app.App.OpenDb();
        var legs = await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == walletId && e.Account == LedgerAccounts.Budget && e.Kind == LedgerKinds.Transfer)
            .Select(e => e.Amount).ToListAsync();
        return legs.Sum();
    }

    public static async Task<int> AuditCountAsync(GatewayApp app, Guid transferId, string action)
    {
        await using var db = app.App.OpenDb();
        return await db.AuditEntries.CountAsync(e => e.Target == $"transfer:{transferId}" && e.Action == action);
    }

    internal static ControlPlaneDb Db(GatewayApp app) => app.App.OpenDb();
}
