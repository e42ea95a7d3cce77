using ControlPlane.Features.Prompts;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using static ControlPlane.Tests.Prompts.PromptKit;

namespace ControlPlane.Tests.Prompts;

/// <summary>The registry's rules through the real services: immutable versions, who approves, rollback, export and import.</summary>
public abstract class PromptRulesTests<TApp>(TApp app) where TApp : GatewayApp
{
    [Fact]
    public async Task Adding_a_version_never_changes_the_ones_before()
    {
        var prompt = await CreateAsync(app, Leo, Version("Be kind.", "{{q}}", parameters: """{"temperature":0.1}""", note: "first"));
        await using (var db = app.App.OpenDb())
        {
            var before = await db.PromptVersions.AsNoTracking().SingleAsync(v => v.PromptId == prompt.Id);
            var v2 = await AddVersionAsync(app, Leo, prompt.Id, Version("Be kinder.", "{{q}}", note: "second"));

            Assert.Equal(2, v2.Number);
            var after = await db.PromptVersions.AsNoTracking().SingleAsync(v => v.Id == before.Id);
            Assert.Equal((before.Number, before.Messages, before.Model, before.Parameters, before.ChangeNote, before.Author, before.CreatedAt),
                (after.Number, after.Messages, after.Model, after.Parameters, after.ChangeNote, after.Author, after.CreatedAt));
            Assert.Equal(1, await AuditCountAsync(app, prompt.Id, "prompt.version_added"));
        }
        // Nobody outside the owner team's managers adds one.
        var refused = await UseAsync<PromptService, ControlPlane.Infrastructure.Outcome<PromptVersion>>(app, Mia, (s, a) => s.AddVersionAsync(a, prompt.Id, Version("x")));
        Assert.False(refused.Succeeded);
    }

    [Fact]
    public async Task A_production_move_waits_for_someone_who_neither_asked_for_it_nor_wrote_the_version()
    {
        var prompt = await CreateAsync(app, Leo, Version("v1 text"), requiresApproval: true);
        var v2 = await AddVersionAsync(app, Leo, prompt.Id, Version("v2 text"));

        var requested = await MoveAsync(app, Olivia, prompt.Id, PromptLabel.Production, v2.Id);

        Assert.True(requested.Succeeded, requested.Error);
        Assert.Equal(LabelMoveStates.Pending, requested.Value!.State);
        Assert.Null(await LabelAsync(app, prompt.Id, PromptLabel.Production));
        Assert.Contains("You asked", (await DecideAsync(app, Olivia, requested.Value.Id, true)).Error, StringComparison.Ordinal);
        Assert.Contains("You wrote v2", (await DecideAsync(app, Leo, requested.Value.Id, true)).Error, StringComparison.Ordinal);
        Assert.False((await DecideAsync(app, Mia, requested.Value.Id, true)).Succeeded); // a member of the team
        Assert.False((await DecideAsync(app, Rita, requested.Value.Id, true)).Succeeded); // another team's lead
        Assert.False((await DecideAsync(app, Aria, requested.Value.Id, true)).Succeeded); // the auditor reads only
        // A second request for the same label waits for the first to be decided.
        Assert.Contains("waits for a decision", (await MoveAsync(app, Leo, prompt.Id, PromptLabel.Production, v2.Id)).Error, StringComparison.Ordinal);

        var approved = await DecideAsync(app, Adam, requested.Value.Id, true);

        Assert.True(approved.Succeeded, approved.Error);
        Assert.Equal(v2.Id, await LabelAsync(app, prompt.Id, PromptLabel.Production));
        Assert.Contains("decided already", (await DecideAsync(app, Adam, requested.Value.Id, true)).Error, StringComparison.Ordinal);
        Assert.Equal(1, await AuditCountAsync(app, prompt.Id, "prompt.label_move_requested"));
        Assert.Equal(1, await AuditCountAsync(app, prompt.Id, "prompt.label_move_approved"));
    }

    [Fact]
    public async Task Other_labels_and_prompts_that_need_no_approval_move_at_once_and_a_rejection_leaves_the_label()
    {
        var strict = await CreateAsync(app, Leo, Version("strict v1"), requiresApproval: true);
        var strictV1 = await FirstVersionAsync(strict.Id);
        var staging = await MoveAsync(app, Leo, strict.Id, PromptLabel.Staging, strictV1);
        Assert.Equal(LabelMoveStates.Applied, staging.Value!.State);
        Assert.Equal(strictV1, await LabelAsync(app, strict.Id, PromptLabel.Staging));

        var pending = await MoveAsync(app, Leo, strict.Id, PromptLabel.Production, strictV1);
        var rejected = await DecideAsync(app, Adam, pending.Value!.Id, false);
        Assert.Equal(LabelMoveStates.Rejected, rejected.Value!.State);
        Assert.Null(await LabelAsync(app, strict.Id, PromptLabel.Production));

        var relaxed = await CreateAsync(app, Leo, Version("relaxed v1"), requiresApproval: false);
        var relaxedV1 = await FirstVersionAsync(relaxed.Id);
        Assert.Equal(LabelMoveStates.Applied, (await MoveAsync(app, Leo, relaxed.Id, PromptLabel.Production, relaxedV1)).Value!.State);
        Assert.Equal(relaxedV1, await LabelAsync(app, relaxed.Id, PromptLabel.Production));
        // A lead cannot switch approval off on a prompt that has it; an Admin can.
        Assert.False((await UseAsync<PromptService, ControlPlane.Infrastructure.Outcome<Prompt>>(app, Leo, (s, a) => s.UpdateSettingsAsync(a, strict.Id, null, false, false))).Succeeded);
        Assert.True((await UseAsync<PromptService, ControlPlane.Infrastructure.Outcome<Prompt>>(app, Adam, (s, a) => s.UpdateSettingsAsync(a, strict.Id, null, false, false))).Succeeded);
    }

    [Fact]
    public async Task Rolling_back_moves_production_back_under_the_same_approval()
    {
        var prompt = await CreateAsync(app, Leo, Version("first"), requiresApproval: true);
        var v1 = await FirstVersionAsync(prompt.Id);
        var v2 = await AddVersionAsync(app, Leo, prompt.Id, Version("second"));
        await ApprovedMoveAsync(prompt.Id, v1);
        await ApprovedMoveAsync(prompt.Id, v2.Id);
        Assert.Equal(v2.Id, await LabelAsync(app, prompt.Id, PromptLabel.Production));

        var back = await MoveAsync(app, Leo, prompt.Id, PromptLabel.Production, v1);
        Assert.Equal((LabelMoveStates.Pending, v2.Id, v1), (back.Value!.State, back.Value.FromVersionId!.Value, back.Value.ToVersionId));
        Assert.Equal(v2.Id, await LabelAsync(app, prompt.Id, PromptLabel.Production)); // still v2 until approved
        Assert.True((await DecideAsync(app, Olivia, back.Value.Id, true)).Succeeded);

        Assert.Equal(v1, await LabelAsync(app, prompt.Id, PromptLabel.Production));
        var detail = await UseAsync<PromptQueries, PromptDetail?>(app, Leo, (q, a) => q.FindAsync(a, prompt.Id));
        Assert.Equal(3, detail!.Moves.Count(m => m.State == LabelMoveStates.Applied));
        Assert.Equal(3, await AuditCountAsync(app, prompt.Id, "prompt.label_move_approved"));
    }

    [Fact]
    public async Task Export_and_import_round_trip_and_an_import_only_adds_versions()
    {
        var prompt = await CreateAsync(app, Leo, Version("Export me {{x}}", "{{y}}", parameters: """{"temperature":0.5}"""));
        await AddVersionAsync(app, Leo, prompt.Id, Version("Export me too {{x}}", "{{y}}"));
        var json = await UseAsync<PromptExchange, string>(app, Leo, (e, a) => e.ExportAsync(a, prompt.Id));
        var platform = await app.App.TeamIdAsync("Platform");

        // The same file again: every version is there already.
        var again = await UseAsync<PromptExchange, ControlPlane.Infrastructure.Outcome<ImportSummary>>(app, Leo, (e, a) => e.ImportAsync(a, json, platform));
        Assert.Equal(new ImportSummary(0, 0, 2), again.Value);

        // Under a new name: a new prompt with equal versions; and a changed version adds a third to the original.
        var copyName = UniqueName("copy");
        var renamed = json.Replace(prompt.Name, copyName, StringComparison.Ordinal);
        Assert.Equal(new ImportSummary(1, 2, 0), (await UseAsync<PromptExchange, ControlPlane.Infrastructure.Outcome<ImportSummary>>(app, Leo, (e, a) => e.ImportAsync(a, renamed, platform))).Value);
        var changed = json.Replace("Export me too", "Export me, changed", StringComparison.Ordinal);
        Assert.Equal(new ImportSummary(0, 1, 1), (await UseAsync<PromptExchange, ControlPlane.Infrastructure.Outcome<ImportSummary>>(app, Leo, (e, a) => e.ImportAsync(a, changed, platform))).Value);

        var copyJson = await UseAsync<PromptExchange, string>(app, Leo, async (e, a) =>
        {
            await using var db = app.App.OpenDb();
            var copyId = await db.Prompts.Where(p => p.Name == copyName).Select(p => p.Id).SingleAsync();
            return await e.ExportAsync(a, copyId);
        });
        var (original, copy) = (PromptExchange.Read(json).File!.Prompts[0], PromptExchange.Read(copyJson).File!.Prompts[0]);
        Assert.Equal(original.Versions.Select(v => (v.Number, Messages: string.Join("|", v.Messages), v.Model, P: v.Parameters?.GetRawText())),
            copy.Versions.Select(v => (v.Number, Messages: string.Join("|", v.Messages), v.Model, P: v.Parameters?.GetRawText())));
        await using var check = app.App.OpenDb();
        Assert.Equal(3, await check.PromptVersions.CountAsync(v => v.PromptId == prompt.Id));
        Assert.True(await check.AuditEntries.AnyAsync(e => e.Action == "prompt.imported"));
    }

    [Theory]
    [InlineData("not json at all", "not a prompt export")]
    [InlineData("""{"format":"something-else","prompts":[]}""", "\"format\" must be")]
    [InlineData("""{"format":"controlplane.prompts/1","prompts":[{"name":"Bad Name","versions":[]}]}""", "lower-case")]
    [InlineData("""{"format":"controlplane.prompts/1","prompts":[{"name":"ok","versions":[{"number":1,"messages":[{"role":"robot","content":"x"}],"change_note":"n"}]}]}""", "role must be one of")]
    [InlineData("""{"format":"controlplane.prompts/1","prompts":[{"name":"ok","versions":[{"number":1,"messages":[{"role":"user","content":"x"}],"parameters":[1],"change_note":"n"}]}]}""", "JSON object")]
    public async Task A_malformed_import_is_refused_whole_with_the_reason(string json, string reason)
    {
        await using var db = app.App.OpenDb();
        var before = await db.PromptVersions.CountAsync();

        var done = await UseAsync<PromptExchange, ControlPlane.Infrastructure.Outcome<ImportSummary>>(app, Leo,
            async (e, a) => await e.ImportAsync(a, json, await app.App.TeamIdAsync("Platform")));

        Assert.Contains(reason, done.Error, StringComparison.Ordinal);
        Assert.Equal(before, await db.PromptVersions.CountAsync());
    }

    private async Task<Guid> FirstVersionAsync(Guid promptId)
    {
        await using var db = app.App.OpenDb();
        return await db.PromptVersions.Where(v => v.PromptId == promptId && v.Number == 1).Select(v => v.Id).SingleAsync();
    }

    private async Task ApprovedMoveAsync(Guid promptId, Guid versionId)
    {
        var asked = await MoveAsync(app, Leo, promptId, PromptLabel.Production, versionId);
        Assert.True(asked.Succeeded, asked.Error);
        var approved = await DecideAsync(app, Adam, asked.Value!.Id, true);
        Assert.True(approved.Succeeded, approved.Error);
    }
}

public sealed class PromptRulesTests_on_Sqlite(SqliteGatewayApp g) : PromptRulesTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class PromptRulesTests_on_Postgres(PostgresGatewayApp g) : PromptRulesTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
