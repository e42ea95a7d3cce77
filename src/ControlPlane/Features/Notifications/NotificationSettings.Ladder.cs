using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

public sealed partial class NotificationSettings
{
    public async Task<IReadOnlyList<EscalationStepRow>> LadderAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from s in db.Set<WalletEscalationStep>().AsNoTracking()
                          join w in db.Wallets.AsNoTracking() on s.WalletId equals w.Id
                          join c in db.Set<NotificationChannel>().AsNoTracking() on s.ChannelId equals c.Id
                          select new EscalationStepRow(s.Id, w.Id, w.Name, s.Percent, c.Id, c.Name, s.ToTeamLeads, s.ToFinanceAdmins, s.Addresses)).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.Wallet, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Percent)];
    }

    /// <summary>Adds a step to a wallet's ladder: from <see cref="EscalationStepForm.Percent"/> % on, its threshold alerts also reach this audience.</summary>
    public async Task<Outcome<WalletEscalationStep>> AddStepAsync(Actor actor, EscalationStepForm form, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<WalletEscalationStep>(Refused);
        if (form.Percent is < 1 or > 100) return Outcome.Fail<WalletEscalationStep>("A step is a percentage of the limit between 1 and 100 (100: the budget is spent).");
        if (AlertAudience.FirstInvalid(form.Addresses) is { } bad) return Outcome.Fail<WalletEscalationStep>($"'{bad}' is not an e-mail address.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallet = await db.Wallets.AsNoTracking().Where(w => w.Id == form.WalletId).Select(w => new { w.Name, w.Thresholds }).FirstOrDefaultAsync(ct);
        if (wallet is null) return Outcome.Fail<WalletEscalationStep>("Choose a wallet.");
        var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == form.ChannelId, ct);
        if (channel is null) return Outcome.Fail<WalletEscalationStep>("Choose a channel.");
        if (channel.Kind == ChannelKinds.Email && !form.ToTeamLeads && !form.ToFinanceAdmins && AlertAudience.ParseAddresses(form.Addresses).Count == 0)
            return Outcome.Fail<WalletEscalationStep>("An e-mail step needs an audience: team leads, finance admins or listed addresses.");
        if (await db.Set<WalletEscalationStep>().AnyAsync(s => s.WalletId == form.WalletId && s.Percent == form.Percent && s.ChannelId == form.ChannelId, ct))
            return Outcome.Fail<WalletEscalationStep>($"'{wallet.Name}' already has a {form.Percent} % step on {channel.Name}.");
        var step = new WalletEscalationStep
        {
            Id = Guid.CreateVersion7(), WalletId = form.WalletId, Percent = form.Percent, ChannelId = channel.Id, ToTeamLeads = form.ToTeamLeads,
            ToFinanceAdmins = form.ToFinanceAdmins, Addresses = NormalizeAddresses(form.Addresses),
        };
        db.Set<WalletEscalationStep>().Add(step);
        await audit.SaveAsync(db, actor.Name, "notification.escalation.added", $"wallet:{form.WalletId}",
            $"{wallet.Name} at {form.Percent} % → {channel.Name}{AudienceText(channel.Kind, form.ToTeamLeads, form.ToFinanceAdmins, step.Addresses)}", ct);
        return step;
    }

    public async Task<Outcome<bool>> RemoveStepAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var step = await db.Set<WalletEscalationStep>().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (step is null) return Outcome.Fail<bool>("That step no longer exists.");
        var wallet = await db.Wallets.Where(w => w.Id == step.WalletId).Select(w => w.Name).FirstAsync(ct);
        db.Remove(step);
        await audit.SaveAsync(db, actor.Name, "notification.escalation.removed", $"wallet:{step.WalletId}", $"{wallet} at {step.Percent} %", ct);
        return true;
    }
}
