using ControlPlane.Features.Prompts;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Auth;

namespace ControlPlane.Tests.Prompts;

/// <summary>The prompt registry's rows of <see cref="ServiceAuthorizationTable"/>: each asks as the walked person about a Platform prompt made at the command line.</summary>
public static class PromptWalk
{
    public static PromptForm NewForm(ServiceProbe p) => new()
    {
        Name = ServiceProbe.Unique("walk-prompt"), OwnerTeamId = p.Platform, RequiresApproval = true,
        FirstVersion = new VersionForm { Messages = [new("system", "Walk {{x}}")], Model = "gpt-4o-mini", ChangeNote = "walk" },
    };

    /// <summary>A new Platform prompt (approval required), made at the command line so no walked person wrote it.</summary>
    public static async Task<Prompt> PlatformPromptAsync(ServiceProbe p)
    {
        var made = await p.Use<PromptService, Outcome<Prompt>>(s => s.CreateAsync(Actor.CommandLine, NewForm(p)));
        Assert.True(made.Succeeded, made.Error);
        return made.Value!;
    }

    public static async Task<Guid> FirstVersionAsync(ServiceProbe p, Guid promptId) =>
        (await p.Use<PromptQueries, PromptDetail?>(q => q.FindAsync(Actor.CommandLine, promptId)))!.Versions.Single().Id;

    /// <summary>A pending production move asked for at the command line, of a version written there.</summary>
    public static async Task<Guid> PendingMoveAsync(ServiceProbe p)
    {
        var prompt = await PlatformPromptAsync(p);
        var version = await FirstVersionAsync(p, prompt.Id);
        var asked = await p.Use<PromptService, Outcome<PromptLabelMove>>(s => s.MoveLabelAsync(Actor.CommandLine, prompt.Id, PromptLabel.Production, version, null));
        Assert.True(asked.Succeeded, asked.Error);
        return asked.Value!.Id;
    }

    public static string ImportFile(string name) =>
        $$$"""{"format":"{{{PromptFile.CurrentFormat}}}","prompts":[{"name":"{{{name}}}","versions":[{"number":1,"messages":[{"role":"user","content":"hi"}],"change_note":"walk"}]}]}""";
}
