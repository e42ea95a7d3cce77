using System.Globalization;

namespace ControlPlane.Features.Routing;

/// <summary>
/// A rule as the dialog edits it: lists as comma-separated text, targets one a line ("target weight"). <see cref="Problem"/>
/// says what to fix in words; the service checks it again, and that the targets exist.
/// </summary>
public sealed class RuleForm
{
    public string Name { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public string Models { get; set; } = "";
    public IReadOnlyCollection<Guid>? Teams { get; set; } = [];
    public IReadOnlyCollection<Guid>? Projects { get; set; } = [];
    public string Keys { get; set; } = "";
    public string Callers { get; set; } = "";
    public string EndUsers { get; set; } = "";
    public string Tags { get; set; } = "";
    public long? MinInputTokens { get; set; }
    public long? MaxInputTokens { get; set; }
    public bool? UsesTools { get; set; }
    public bool? HasImages { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string OriginRegions { get; set; } = "";

    public string Kind { get; set; } = RuleActionKinds.Fallbacks;
    public string Targets { get; set; } = "";
    public string Message { get; set; } = "";
    public bool RequireTools { get; set; }
    public bool RequireVision { get; set; }
    public bool RequireJsonMode { get; set; }
    public int? MaxP95LatencyMs { get; set; }
    public string AllowedProviders { get; set; } = "";
    public string AllowedRegions { get; set; } = "";

    public static RuleForm Of(RoutingRule rule)
    {
        RuleJson.TryRead<RuleConditions>(rule.Conditions, out var c);
        RuleJson.TryRead<RuleAction>(rule.Action, out var a);
        return new RuleForm
        {
            Name = rule.Name, Enabled = rule.Enabled, Models = Join(c.Models), Teams = c.Teams, Projects = c.Projects, Keys = Join(c.Keys),
            Callers = Join(c.Callers), EndUsers = Join(c.EndUsers), Tags = Join(c.Tags), MinInputTokens = c.MinInputTokens, MaxInputTokens = c.MaxInputTokens,
            UsesTools = c.UsesTools, HasImages = c.HasImages, From = c.From ?? "", To = c.To ?? "", OriginRegions = Join(c.Regions),
            Kind = a.Kind, Targets = string.Join("\n", a.Targets.Select(t => a.Kind == RuleActionKinds.Weighted ? $"{t.Target} {t.Weight}" : t.Target)),
            Message = a.Message ?? "", RequireTools = a.RequireTools, RequireVision = a.RequireVision, RequireJsonMode = a.RequireJsonMode,
            MaxP95LatencyMs = a.MaxP95LatencyMs, AllowedProviders = Join(a.Providers), AllowedRegions = Join(a.Regions),
        };
    }

    public RuleConditions Conditions() => new()
    {
        Models = List(Models), Teams = [.. (Teams ?? []).Distinct()], Projects = [.. (Projects ?? []).Distinct()], Keys = List(Keys), Callers = List(Callers), EndUsers = List(EndUsers),
        Tags = List(Tags), MinInputTokens = MinInputTokens, MaxInputTokens = MaxInputTokens, UsesTools = UsesTools, HasImages = HasImages,
        From = Blank(From), To = Blank(To), Regions = List(OriginRegions),
    };

    public RuleAction Action() => new()
    {
        Kind = Kind, Targets = ParsedTargets(), Message = Kind == RuleActionKinds.Block ? Message.Trim() : null,
        RequireTools = RequireTools, RequireVision = RequireVision, RequireJsonMode = RequireJsonMode, MaxP95LatencyMs = MaxP95LatencyMs,
        Providers = List(AllowedProviders), Regions = List(AllowedRegions),
    };

    /// <summary>The first thing to fix, in words (null: the form is complete).</summary>
    public string? Problem() =>
        NameProblem(Name) ?? TimeProblem(From) ?? TimeProblem(To) ?? TokensProblem() ?? TargetsProblem() ?? MessageProblem()
        ?? (MaxP95LatencyMs is < 1 or > 600_000 ? "A p95 latency limit is between 1 and 600,000 ms." : null)
        ?? (List(Tags).Any(t => t.Length > 64) ? "A tag has at most 64 characters." : null);

    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100 ? "A rule's name has 1 to 100 characters." : null;

    public static string? TimeProblem(string? time) =>
        string.IsNullOrWhiteSpace(time) || CompiledRule.MinuteOf(time) is not null ? null : $"'{time}' is not a time of day; write it as HH:mm (24-hour).";

    public string? TokensProblem() =>
        MinInputTokens is < 0 || MaxInputTokens is < 0 ? "Token counts are zero or more."
        : MinInputTokens > MaxInputTokens ? "The smallest input is above the largest." : null;

    public string? TargetsProblem()
    {
        if (!RuleActionKinds.All.Contains(Kind)) return "Choose what the rule does.";
        var lines = Lines(Targets);
        if (Kind is (RuleActionKinds.Weighted or RuleActionKinds.Fallbacks) && lines.Count == 0) return "Name at least one target: an alias, or provider/model.";
        foreach (var line in lines)
        {
            var (target, weight) = Split(line);
            if (target.Length is 0 or > 300) return $"'{line}' names no target.";
            if (weight is null) return $"'{line}': a weight is a whole number from 1 to 1,000 after the target.";
        }
        return null;
    }

    public string? MessageProblem() =>
        Kind == RuleActionKinds.Block && (string.IsNullOrWhiteSpace(Message) || Message.Trim().Length > 500)
            ? "A blocking rule tells the caller why, in 1 to 500 characters." : null;

    private List<RuleTarget> ParsedTargets() =>
        Kind == RuleActionKinds.Block ? [] : [.. Lines(Targets).Select(Split).Select(t => new RuleTarget { Target = t.Target, Weight = t.Weight ?? 1 })];

    /// <summary>"gpt 70" → (gpt, 70); "gpt" → (gpt, 1); a weight out of range → null weight.</summary>
    private static (string Target, int? Weight) Split(string line)
    {
        var space = line.LastIndexOf(' ');
        if (space < 0) return (line, 1);
        var tail = line[(space + 1)..].TrimEnd('%');
        return int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out var weight)
            ? (line[..space].Trim(), weight is >= 1 and <= 1000 ? (int?)weight : null)
            : (line, 1);
    }

    private static List<string> Lines(string text) =>
        [.. text.Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static List<string> List(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()];

    private static string Join(List<string> values) => string.Join(", ", values);

    private static string? Blank(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
