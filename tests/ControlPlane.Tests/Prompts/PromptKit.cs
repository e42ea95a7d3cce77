using ControlPlane.Features.Prompts;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Prompts;

/// <summary>Makes prompts and moves labels as the demo's people, through the real services.</summary>
public static class PromptKit
{
    public const string Leo = "leo.lead@acme.test", Mia = "mia.member@acme.test", Rita = "rita.research@acme.test",
        Adam = "adam.admin@acme.test", Olivia = "olivia.owner@acme.test", Aria = "aria.auditor@acme.test";

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static VersionForm Version(string system, string? user = null, string? model = "gpt", string? parameters = null, string note = "a change") => new()
    {
        Messages = user is null ? [new("system", system)] : [new("system", system), new("user", user)],
        Model = model, Parameters = parameters, ChangeNote = note,
    };

    public static async Task<Prompt> CreateAsync(GatewayApp app, string email, VersionForm first, string team = "Platform", bool requiresApproval = false, bool shared = false, string? name = null)
    {
        var form = new PromptForm
        {
            Name = name ?? UniqueName("p"), OwnerTeamId = await app.App.TeamIdAsync(team), RequiresApproval = requiresApproval, Shared = shared, FirstVersion = first,
        };
        var created = await UseAsync<PromptService, Outcome<Prompt>>(app, email, (s, a) => s.CreateAsync(a, form));
        Assert.True(created.Succeeded, created.Error);
        return created.Value!;
    }

    public static async Task<PromptVersion> AddVersionAsync(GatewayApp app, string email, Guid promptId, VersionForm form)
    {
        var added = await UseAsync<PromptService, Outcome<PromptVersion>>(app, email, (s, a) => s.AddVersionAsync(a, promptId, form));
        Assert.True(added.Succeeded, added.Error);
        return added.Value!;
    }

    public static Task<Outcome<PromptLabelMove>> MoveAsync(GatewayApp app, string email, Guid promptId, string label, Guid versionId) =>
        UseAsync<PromptService, Outcome<PromptLabelMove>>(app, email, (s, a) => s.MoveLabelAsync(a, promptId, label, versionId, "test move"));

    public static Task<Outcome<PromptLabelMove>> DecideAsync(GatewayApp app, string email, Guid moveId, bool approve) =>
        UseAsync<PromptService, Outcome<PromptLabelMove>>(app, email, (s, a) => s.DecideLabelMoveAsync(a, moveId, approve, approve ? "ok" : "no"));

    public static async Task<Guid?> LabelAsync(GatewayApp app, Guid promptId, string label)
    {
        await using var db = app.App.OpenDb();
        return await db.PromptLabels.Where(l => l.PromptId == promptId && l.Name == label).Select(l => (Guid?)l.VersionId).FirstOrDefaultAsync();
    }

    public static async Task<int> AuditCountAsync(GatewayApp app, Guid promptId, string action)
    {
        await using var db = app.App.OpenDb();
        return await db.AuditEntries.CountAsync(e => e.Target == $"prompt:{promptId}" && e.Action == action);
    }

    public static async Task<T> UseAsync<TService, T>(GatewayApp app, string email, Func<TService, Actor, Task<T>> use) where TService : notnull
    {
        var actor = email == "cli" ? Actor.CommandLine : await app.App.ActorAsync(email);
        await using var scope = app.App.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<TService>(), actor);
    }
}
