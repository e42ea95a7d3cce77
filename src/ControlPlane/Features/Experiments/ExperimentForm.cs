using ControlPlane.Features.Gateway.Catalogue;

namespace ControlPlane.Features.Experiments;

/// <summary>An experiment as an admin edits it.</summary>
public sealed class ExperimentForm
{
    public string Name { get; set; } = "";
    public string Model { get; set; } = "";
    public Guid? TeamId { get; set; }
    public Guid? ProjectId { get; set; }
    public string? Tag { get; set; }
    public StickyBy StickyBy { get; set; } = StickyBy.EndUser;
    public ExperimentGoal Goal { get; set; } = ExperimentGoal.Cost;
    public decimal Alpha { get; set; } = 0.05m;
    public int MinSamples { get; set; } = 100;
    public bool AutoPromote { get; set; }
    public List<VariantForm> Variants { get; set; } = [new() { Name = "A", Percent = 50 }, new() { Name = "B", Percent = 50 }];

    /// <summary>What is wrong with the form, in words beside the field; null when it may be saved.</summary>
    public string? Problem(GatewayCatalog.Snapshot catalogue)
    {
        if (Name.Trim().Length is 0 or > 100) return "A name has 1 to 100 characters.";
        if (Model.Trim().Length is 0 or > 200) return "Name the model alias callers ask for.";
        if (!catalogue.Models.TryGetValue(Model.Trim(), out var asked) || asked.Kind != ModelKinds.Chat) return $"'{Model.Trim()}' is not a chat model alias in the catalogue.";
        if (Tag is { } tag && (tag.Trim().Length > 100 || tag.Contains(','))) return "A tag has at most 100 characters and no comma.";
        if (Alpha is <= 0 or > 0.5m) return "Alpha is above 0 and at most 0.5 (0.05 is usual).";
        if (MinSamples is < 2 or > 10_000_000) return "The minimum sample is 2 to 10,000,000 calls per variant.";
        if (Variants.Count is < 2 or > 10) return "An experiment has 2 to 10 variants.";
        foreach (var v in Variants)
        {
            if (v.Name.Trim().Length is 0 or > 50) return "Each variant has a name of 1 to 50 characters.";
            if (!catalogue.Models.TryGetValue(v.TargetAlias.Trim(), out var target) || target.Kind != ModelKinds.Chat)
                return $"Variant {v.Name}: '{v.TargetAlias}' is not a chat model alias in the catalogue.";
            if (v.Percent is < 1 or > 100) return $"Variant {v.Name}: a share is 1 to 100 %.";
            if (v.Temperature is < 0 or > 2) return $"Variant {v.Name}: temperature is 0 to 2.";
            if (v.MaxTokens is < 1 or > 1_000_000) return $"Variant {v.Name}: max tokens is 1 to 1,000,000.";
        }
        if (Variants.Select(v => v.Name.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() != Variants.Count) return "Variant names must differ.";
        var sum = Variants.Sum(v => v.Percent);
        return sum == 100 ? null : $"The shares add up to {sum} %, not 100 %.";
    }
}

public sealed class VariantForm
{
    public string Name { get; set; } = "";
    public string TargetAlias { get; set; } = "";
    public int Percent { get; set; }
    public decimal? Temperature { get; set; }
    public int? MaxTokens { get; set; }
}

/// <summary>An experiment in the list: what it is and its variants.</summary>
public sealed record ExperimentRow(Guid Id, string Name, string Model, Guid? TeamId, Guid? ProjectId, string? Tag, StickyBy StickyBy, ExperimentStatus Status,
    ExperimentGoal Goal, decimal Alpha, int MinSamples, bool AutoPromote, string? Winner, DateTime? StartedAt, DateTime? ConcludedAt, string? ConcludedBy,
    IReadOnlyList<ExperimentVariant> Variants)
{
    public static ExperimentRow Of(Experiment e) => new(e.Id, e.Name, e.Model, e.TeamId, e.ProjectId, e.Tag, e.StickyBy, e.Status, e.Goal, e.Alpha,
        e.MinSamples, e.AutoPromote, e.Winner, e.StartedAt, e.ConcludedAt, e.ConcludedBy, [.. e.Variants.OrderBy(v => v.Position)]);

    public ExperimentForm ToForm() => new()
    {
        Name = Name, Model = Model, TeamId = TeamId, ProjectId = ProjectId, Tag = Tag, StickyBy = StickyBy, Goal = Goal, Alpha = Alpha,
        MinSamples = MinSamples, AutoPromote = AutoPromote,
        Variants = [.. Variants.Select(v => new VariantForm { Name = v.Name, TargetAlias = v.TargetAlias, Percent = v.Percent, Temperature = v.Temperature, MaxTokens = v.MaxTokens })],
    };
}
