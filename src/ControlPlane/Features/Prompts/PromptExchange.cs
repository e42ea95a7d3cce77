using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Prompts;

/// <summary>The export file: prompts with every version and where their labels point (so prompts can live in a repository).</summary>
public sealed record PromptFile(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("exported_at")] DateTime? ExportedAt,
    [property: JsonPropertyName("prompts")] List<PromptFileEntry> Prompts)
{
    public const string CurrentFormat = "controlplane.prompts/1";
}

public sealed record PromptFileEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("owner_team")] string? OwnerTeam,
    [property: JsonPropertyName("requires_approval")] bool RequiresApproval,
    [property: JsonPropertyName("shared")] bool Shared,
    [property: JsonPropertyName("labels")] Dictionary<string, int>? Labels,
    [property: JsonPropertyName("versions")] List<PromptFileVersion> Versions);

public sealed record PromptFileVersion(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("messages")] List<PromptMessage> Messages,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("parameters")] JsonElement? Parameters,
    [property: JsonPropertyName("change_note")] string ChangeNote,
    [property: JsonPropertyName("author")] string? Author,
    [property: JsonPropertyName("created_at")] DateTime? CreatedAt);

/// <summary>What an import did: prompts created, versions added, versions skipped because an equal one was there.</summary>
public sealed record ImportSummary(int PromptsCreated, int VersionsAdded, int VersionsSkipped);

/// <summary>
/// Export and import of prompts as JSON. An import never changes a version: it adds a new version for each version of
/// the file whose messages, model and parameters are not already one of the prompt's versions, and creates the prompts
/// that do not exist (owned by the team chosen). Labels are not imported: label moves go through the page's rules.
/// </summary>
public sealed class PromptExchange(IDbContextFactory<ControlPlaneDb> dbFactory, PromptQueries queries, PromptService service, AuditLog audit, TimeProvider clock)
{
    public const int MaxFileBytes = 5 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>One prompt (<paramref name="promptId"/>) or every prompt the actor may see, as the export file's JSON.</summary>
    public async Task<string> ExportAsync(Actor actor, Guid? promptId, CancellationToken ct = default)
    {
        var ids = promptId is { } one ? [one] : (await queries.ListAsync(actor, null, ct)).Select(p => p.Id).ToList();
        var entries = new List<PromptFileEntry>();
        foreach (var id in ids)
        {
            if (await queries.FindAsync(actor, id, ct) is not { } d) continue;
            entries.Add(new PromptFileEntry(d.Prompt.Name, d.Prompt.Description, d.OwnerTeam, d.Prompt.RequiresApproval, d.Prompt.Shared,
                d.Labels.Where(l => d.NumberOf(l.VersionId) is not null).ToDictionary(l => l.Name, l => d.NumberOf(l.VersionId)!.Value),
                [.. d.Versions.OrderBy(v => v.Number).Select(v => new PromptFileVersion(v.Number, [.. PromptTemplate.Parse(v.Messages)], v.Model,
                    v.Parameters is null ? null : Element(v.Parameters), v.ChangeNote, v.Author, v.CreatedAt))]));
        }
        return JsonSerializer.Serialize(new PromptFile(PromptFile.CurrentFormat, clock.GetUtcNow().UtcDateTime, entries), Json);
    }

    /// <summary>Reads and checks the whole file first; then imports it in one transaction, or nothing if any part is refused.</summary>
    public async Task<Outcome<ImportSummary>> ImportAsync(Actor actor, string json, Guid ownerTeamForNew, CancellationToken ct = default)
    {
        var (file, problem) = Read(json);
        if (problem is not null || file is null) return Outcome.Fail<ImportSummary>(problem ?? "The file holds no prompts.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Prompts.AsNoTracking().ToDictionaryAsync(p => p.Name, ct);
        foreach (var entry in file.Prompts)
        {
            var team = existing.TryGetValue(entry.Name, out var p) ? p.OwnerTeamId : ownerTeamForNew;
            if (!await service.ManagesAsync(actor, team, ct))
                return Outcome.Fail<ImportSummary>(existing.ContainsKey(entry.Name)
                    ? $"'{entry.Name}' belongs to a team you do not lead; nothing was imported."
                    : "New prompts go to the team chosen, and you can create prompts only for teams you lead; nothing was imported.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        int created = 0, added = 0, skipped = 0;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await AuditLog.LockChainAsync(db, ct);
        foreach (var entry in file.Prompts)
        {
            if (!existing.TryGetValue(entry.Name, out var prompt))
            {
                prompt = new Prompt
                {
                    Id = Guid.CreateVersion7(), Name = entry.Name, Description = entry.Description, OwnerTeamId = ownerTeamForNew,
                    RequiresApproval = entry.RequiresApproval, Shared = entry.Shared, CreatedAt = now, CreatedBy = actor.Name,
                };
                db.Prompts.Add(prompt);
                created++;
            }
            var versions = await db.PromptVersions.AsNoTracking().Where(v => v.PromptId == prompt.Id).ToListAsync(ct);
            var seen = versions.Select(v => Fingerprint(v.Messages, v.Model, v.Parameters)).ToHashSet(StringComparer.Ordinal);
            var next = versions.Count == 0 ? 1 : versions.Max(v => v.Number) + 1;
            foreach (var v in entry.Versions.OrderBy(v => v.Number))
            {
                var form = new VersionForm { Messages = v.Messages, Model = v.Model, Parameters = v.Parameters?.GetRawText(), ChangeNote = v.ChangeNote };
                form.Problem(out var parameters);
                var version = PromptService.NewVersion(actor, prompt.Id, next, form, parameters, now);
                if (!seen.Add(Fingerprint(version.Messages, version.Model, version.Parameters)))
                {
                    skipped++;
                    continue;
                }
                // The file's note says where the version came from; the importer is its author here.
                db.PromptVersions.Add(version);
                next++;
                added++;
            }
        }
        await audit.AppendAsync(db, actor.Name, "prompt.imported", "prompts:import",
            $"{file.Prompts.Count} prompt(s) in the file: {created} created, {added} version(s) added, {skipped} already there ({string.Join(", ", file.Prompts.Select(p => p.Name))})", ct);
        await transaction.CommitAsync(ct);
        await service.ChangedAsync(null, ct);
        return new ImportSummary(created, added, skipped);
    }

    /// <summary>The file, or what is wrong with it (the first problem, naming the prompt and version).</summary>
    public static (PromptFile? File, string? Problem) Read(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (null, "The file is empty.");
        if (json.Length > MaxFileBytes) return (null, $"The file is larger than {MaxFileBytes / 1024 / 1024} MB.");
        PromptFile? file;
        try
        {
            file = JsonSerializer.Deserialize<PromptFile>(json);
        }
        catch (JsonException ex)
        {
            return (null, $"The file is not a prompt export: {ex.Message}");
        }
        if (file is null || file.Format != PromptFile.CurrentFormat) return (null, $"The file is not a prompt export (its \"format\" must be \"{PromptFile.CurrentFormat}\").");
        if (file.Prompts is null || file.Prompts.Count == 0) return (null, "The file holds no prompts.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in file.Prompts)
        {
            if (p?.Name is null) return (null, "A prompt in the file has no name.");
            if (PromptForm.NameProblem(p.Name) is { } nameProblem) return (null, $"A prompt's name: {nameProblem}");
            if (!names.Add(p.Name)) return (null, $"'{p.Name}' is in the file twice.");
            if (p.Description?.Length > Prompt.MaxDescriptionLength) return (null, $"{p.Name}: the description is longer than {Prompt.MaxDescriptionLength} characters.");
            if (p.Versions is null || p.Versions.Count == 0) return (null, $"{p.Name}: no versions.");
            foreach (var v in p.Versions)
            {
                var form = new VersionForm { Messages = v?.Messages ?? [], Model = v?.Model, Parameters = v?.Parameters?.GetRawText(), ChangeNote = v?.ChangeNote ?? "" };
                if (form.Problem(out _) is { } problem) return (null, $"{p.Name} v{v?.Number}: {problem}");
            }
        }
        return (file, null);
    }

    private static string Fingerprint(string messages, string? model, string? parameters) =>
        $"{PromptTemplate.Serialize(PromptTemplate.Parse(messages))}\u0001{model}\u0001{(parameters is null ? "" : JsonSerializer.Serialize(Element(parameters)))}";

    private static JsonElement Element(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
