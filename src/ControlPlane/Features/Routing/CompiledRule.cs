using System.Collections.Frozen;
using System.Globalization;
using ControlPlane.Features.Gateway.Catalogue;

namespace ControlPlane.Features.Routing;

/// <summary>A group of targets a rule names (an alias's chain, or one provider model), resolved in one catalogue version.</summary>
public sealed record ResolvedRef(string Ref, int Weight, string Kind, RouteTarget[] Targets);

/// <summary>
/// A rule made ready for the hot path: every list a frozen set, the time window in minutes, the text of its reason
/// written once. Its targets are resolved against a catalogue version once and kept until the catalogue changes.
/// </summary>
public sealed class CompiledRule
{
    private readonly FrozenSet<string>? _models, _keys, _callers, _endUsers, _tags, _regions;
    private readonly FrozenSet<Guid>? _teams, _projects;
    private readonly long? _minTokens, _maxTokens;
    private readonly bool? _tools, _images;
    private readonly int? _from, _to;
    private volatile Resolution? _resolved;

    private sealed record Resolution(GatewayCatalog.Snapshot Catalog, ResolvedRef[] Refs, string? Unresolved);

    public CompiledRule(int number, RoutingRule rule, RuleConditions conditions, RuleAction action, IReadOnlySet<Guid> teamsWithSubteams, string summary, bool readable = true)
    {
        Number = number;
        Id = rule.Id;
        Name = rule.Name;
        Action = action;
        Readable = readable;
        Summary = summary;
        _models = Set(conditions.Models, StringComparer.Ordinal);
        _keys = Set(conditions.Keys, StringComparer.Ordinal);
        _callers = Set(conditions.Callers, StringComparer.Ordinal);
        _endUsers = Set(conditions.EndUsers, StringComparer.Ordinal);
        _tags = Set(conditions.Tags, StringComparer.OrdinalIgnoreCase);
        _regions = Set(conditions.Regions, StringComparer.OrdinalIgnoreCase);
        _teams = teamsWithSubteams.Count == 0 ? null : teamsWithSubteams.ToFrozenSet();
        _projects = conditions.Projects.Count == 0 ? null : conditions.Projects.ToFrozenSet();
        (_minTokens, _maxTokens, _tools, _images) = (conditions.MinInputTokens, conditions.MaxInputTokens, conditions.UsesTools, conditions.HasImages);
        (_from, _to) = (MinuteOf(conditions.From), MinuteOf(conditions.To));
        TotalWeight = Math.Max(1, action.Targets.Sum(t => Math.Max(0, t.Weight)));
        Decision = $"rule {number} '{rule.Name}' matched {summary}";
    }

    /// <summary>Its place in the list (1 = tried first), as the Routing page numbers it.</summary>
    public int Number { get; }
    public Guid Id { get; }
    public string Name { get; }
    public RuleAction Action { get; }
    public int TotalWeight { get; }
    /// <summary>False when its stored JSON no longer reads: it never matches.</summary>
    public bool Readable { get; }
    /// <summary>The conditions in words, e.g. "tags=batch, model=gpt" ("any call" without conditions).</summary>
    public string Summary { get; }
    public bool UsesTags => _tags is not null;
    public bool UsesTime => _from is not null || _to is not null;

    /// <summary>"rule 3 'batch→cheap' matched tags=batch" (written once: every call it routes carries it).</summary>
    public string Decision { get; }

    /// <summary>Null when every condition holds; else the first that does not (a constant, for the explain box).</summary>
    public string? Mismatch(RouteInput input, int minuteOfDay)
    {
        if (!Readable) return "unreadable";
        var info = input.Info;
        if (_models is not null && !_models.Contains(info.Model)) return "model";
        if (_teams is not null && (input.TeamId is not { } team || !_teams.Contains(team))) return "team";
        if (_projects is not null && (input.ProjectId is not { } project || !_projects.Contains(project))) return "project";
        if (_keys is not null && (input.KeyPrefix is null || !_keys.Contains(input.KeyPrefix))) return "key";
        if (_callers is not null && (input.Caller is null || !_callers.Contains(input.Caller))) return "caller";
        if (_endUsers is not null && (input.EndUser is null || !_endUsers.Contains(input.EndUser))) return "end user";
        if (_tags is not null && !AnyTag(input.Tags)) return "tags";
        if (_minTokens is { } min && info.EstimatedInputTokens < min) return "input tokens";
        if (_maxTokens is { } max && info.EstimatedInputTokens > max) return "input tokens";
        if (_tools is { } tools && info.UsesTools != tools) return "tools";
        if (_images is { } images && info.UsesImages != images) return "images";
        if (UsesTime && !InWindow(minuteOfDay)) return "time of day";
        if (_regions is not null && (input.Region is null || !_regions.Contains(input.Region))) return "origin region";
        return null;
    }

    private bool AnyTag(IReadOnlyList<string> tags)
    {
        for (var i = 0; i < tags.Count; i++)
            if (_tags!.Contains(tags[i])) return true;
        return false;
    }

    private bool InWindow(int minute)
    {
        var from = _from ?? 0;
        var to = _to ?? 24 * 60;
        return from <= to ? minute >= from && minute < to : minute >= from || minute < to; // wraps past midnight
    }

    /// <summary>
    /// The rule's target groups in the given catalogue version (resolved once per version); a "cheapest" rule that names
    /// none gets every provider model of the catalogue, one group each.
    /// </summary>
    public ResolvedRef[] Resolve(GatewayCatalog.Snapshot catalog)
    {
        var resolved = _resolved;
        if (resolved is null || !ReferenceEquals(resolved.Catalog, catalog)) _resolved = resolved = ResolveIn(catalog);
        return resolved.Refs;
    }

    /// <summary>The first target reference the catalogue does not know (for the Routing page's warning); null when all resolve.</summary>
    public string? Unresolved(GatewayCatalog.Snapshot catalog)
    {
        Resolve(catalog);
        return _resolved!.Unresolved;
    }

    private Resolution ResolveIn(GatewayCatalog.Snapshot catalog)
    {
        var refs = new List<ResolvedRef>();
        string? unresolved = null;
        foreach (var target in Action.Targets)
        {
            if (TargetRefs.Resolve(catalog, target.Target) is { } found) refs.Add(found with { Weight = Math.Max(0, target.Weight) });
            else unresolved ??= target.Target;
        }
        if (Action.Targets.Count == 0 && Action.Kind == RuleActionKinds.Cheapest) refs.AddRange(TargetRefs.Everything(catalog));
        return new Resolution(catalog, [.. refs], unresolved);
    }

    private static FrozenSet<string>? Set(List<string> values, StringComparer comparer)
    {
        var cleaned = values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).ToList();
        return cleaned.Count == 0 ? null : cleaned.ToFrozenSet(comparer);
    }

    internal static int? MinuteOf(string? time) =>
        TimeOnly.TryParseExact(time?.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.Hour * 60 + t.Minute : null;
}

/// <summary>How a rule's target text names catalogue targets.</summary>
public static class TargetRefs
{
    /// <summary>An alias (its targets in order) or "provider/model" (that provider's model, under whichever alias serves it).</summary>
    public static ResolvedRef? Resolve(GatewayCatalog.Snapshot catalog, string reference)
    {
        var text = reference.Trim();
        if (catalog.Models.TryGetValue(text, out var entry))
            return entry.Targets.Count == 0 ? null : new ResolvedRef(text, 1, entry.Kind, [.. entry.Targets]);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1) return null;
        var (provider, model) = (text[..slash], text[(slash + 1)..]);
        foreach (var candidate in catalog.Models.Values.OrderBy(e => e.Alias, StringComparer.Ordinal))
            foreach (var target in candidate.Targets)
                if (target.Provider.Name == provider && target.UpstreamModel == model)
                    return new ResolvedRef(text, 1, candidate.Kind, [target]);
        return null;
    }

    /// <summary>Every distinct provider model of the catalogue, one group each (the pool of a "cheapest" rule that names none).</summary>
    public static List<ResolvedRef> Everything(GatewayCatalog.Snapshot catalog)
    {
        var seen = new HashSet<(Guid, string)>();
        var all = new List<ResolvedRef>();
        foreach (var entry in catalog.Models.Values.OrderBy(e => e.Alias, StringComparer.Ordinal))
            foreach (var target in entry.Targets)
                if (seen.Add((target.Provider.Id, target.UpstreamModel))) all.Add(new ResolvedRef($"{target.Provider.Name}/{target.UpstreamModel}", 1, entry.Kind, [target]));
        return all;
    }
}
