using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

public sealed record SlackLinkRow(Guid Id, string SlackTeamId, string SlackUserId, Guid UserId, string Person);

public sealed partial class NotificationSettings
{
    public async Task<IReadOnlyList<SlackLinkRow>> SlackLinksAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await (from l in db.Set<SlackUserLink>().AsNoTracking()
                      join u in db.Users.AsNoTracking() on l.UserId equals u.Id
                      orderby u.Email
                      select new SlackLinkRow(l.Id, l.SlackTeamId, l.SlackUserId, u.Id, u.Email)).ToListAsync(ct);
    }

    /// <summary>
    /// Lets a Slack user (workspace id T…, user id U…, from the Slack profile's "Copy member ID") act as a ControlPlane
    /// person in the Slack app. A link, not a match by e-mail: Slack's commands and buttons carry ids, not addresses.
    /// </summary>
    public async Task<Outcome<SlackUserLink>> LinkSlackUserAsync(Actor actor, string slackTeamId, string slackUserId, string email, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<SlackUserLink>(Refused);
        slackTeamId = (slackTeamId ?? "").Trim();
        slackUserId = (slackUserId ?? "").Trim();
        if (!SlackId(slackTeamId, 'T')) return Outcome.Fail<SlackUserLink>("The Slack workspace id starts with T (e.g. T0123ABCD).");
        if (!SlackId(slackUserId, 'U') && !SlackId(slackUserId, 'W')) return Outcome.Fail<SlackUserLink>("The Slack member id starts with U or W (e.g. U0456EFGH).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var person = await db.Users.AsNoTracking().Where(u => u.Email == (email ?? "").Trim()).Select(u => new { u.Id, u.Email }).FirstOrDefaultAsync(ct);
        if (person is null) return Outcome.Fail<SlackUserLink>($"Nobody signs in as '{email}'.");
        if (await db.Set<SlackUserLink>().AnyAsync(l => l.SlackTeamId == slackTeamId && l.SlackUserId == slackUserId, ct))
            return Outcome.Fail<SlackUserLink>($"Slack user {slackUserId} is linked already; unlink it first.");
        var link = new SlackUserLink { Id = Guid.CreateVersion7(), SlackTeamId = slackTeamId, SlackUserId = slackUserId, UserId = person.Id, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Set<SlackUserLink>().Add(link);
        await audit.SaveAsync(db, actor.Name, "notification.slack.linked", $"user:{person.Id}", $"Slack {slackTeamId}/{slackUserId} acts as {person.Email}", ct);
        return link;
    }

    public async Task<Outcome<bool>> UnlinkSlackUserAsync(Actor actor, Guid linkId, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var link = await db.Set<SlackUserLink>().FirstOrDefaultAsync(l => l.Id == linkId, ct);
        if (link is null) return Outcome.Fail<bool>("That link no longer exists.");
        db.Remove(link);
        await audit.SaveAsync(db, actor.Name, "notification.slack.unlinked", $"user:{link.UserId}", $"Slack {link.SlackTeamId}/{link.SlackUserId}", ct);
        return true;
    }

    private static bool SlackId(string id, char first) => id.Length is >= 3 and <= 32 && id[0] == first && id.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c));
}
