using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// <see cref="ITransferDesk"/> for chat apps: acts as the ControlPlane person a chat user is mapped to, through
/// <see cref="TransferService"/>, so chat gets exactly the rights the Transfers page gives that person.
/// </summary>
public sealed class ChatTransferDesk(IDbContextFactory<ControlPlaneDb> dbFactory, TransferService transfers, IOptions<OrganisationOptions> organisation) : ITransferDesk
{
    public async Task<IReadOnlyList<DeskBalance>> BalancesAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var teams = await db.TeamMemberships.AsNoTracking().Where(m => m.UserId == userId).Select(m => m.TeamId).ToListAsync(cancellationToken);
        var wallets = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && teams.Contains(w.OwnerId)).ToListAsync(cancellationToken);
        return [.. wallets.OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).Select(w => new DeskBalance(w.Id, w.Name, w.Limit ?? 0, w.Spent,
            w.Limit is { } limit ? Math.Max(0, limit - w.Spent - w.Leased) : 0, WalletPeriods.EndOf(w.Period, w.PeriodStart, organisation.Value.Zone) ?? DateTime.MaxValue))];
    }

    public async Task<DeskOutcome> RequestAsync(Guid userId, decimal amount, string reason, CancellationToken cancellationToken = default)
    {
        if (await ActorAsync(userId, cancellationToken) is not { } actor) return new(false, "Your chat account is not linked to an active ControlPlane user.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var led = await db.TeamMemberships.AsNoTracking().Where(m => m.UserId == userId && m.Role == TeamRoles.Lead).Select(m => m.TeamId).ToListAsync(cancellationToken);
        var wallet = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && led.Contains(w.OwnerId) && w.Limit != null)
            .OrderBy(w => w.Name).FirstOrDefaultAsync(cancellationToken);
        if (wallet is null) return new(false, "You lead no team with a budget; ask on the Transfers page for a specific wallet.");
        var made = await transfers.RequestAsync(actor, new TransferForm { ToWalletId = wallet.Id, Amount = amount, Reason = reason }, cancellationToken);
        return made.Succeeded
            ? new(true, $"Requested {amount:0.00} USD for {wallet.Name}; {made.Value!.ApprovalsNeeded} approval(s) needed.", made.Value.Id)
            : new(false, made.Error!);
    }

    public Task<DeskOutcome> ApproveAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default) =>
        DecideAsync(userId, transferId, comment, approve: true, cancellationToken);

    public Task<DeskOutcome> RejectAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default) =>
        DecideAsync(userId, transferId, comment, approve: false, cancellationToken);

    private async Task<DeskOutcome> DecideAsync(Guid userId, Guid transferId, string? comment, bool approve, CancellationToken ct)
    {
        if (await ActorAsync(userId, ct) is not { } actor) return new(false, "Your chat account is not linked to an active ControlPlane user.", transferId);
        var done = approve ? await transfers.ApproveAsync(actor, transferId, comment, ct) : await transfers.RejectAsync(actor, transferId, comment, ct);
        if (!done.Succeeded) return new(false, done.Error!, transferId);
        var t = done.Value!;
        return new(true, t.State switch
        {
            TransferStates.Approved => $"Approved: {t.Amount:0.00} USD moved.",
            TransferStates.Rejected => "Rejected; the requester has been told.",
            _ => "Your approval is recorded; it needs a second, different approver.",
        }, transferId, t.State);
    }

    private async Task<Actor?> ActorAsync(Guid userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId && u.IsActive, ct);
        return user is null || !Roles.IsKnown(user.Role) ? null : new Actor(user.Id, user.Email, user.Role);
    }
}
