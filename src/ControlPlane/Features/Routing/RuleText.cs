namespace ControlPlane.Features.Routing;

/// <summary>Rules in words, for the reason kept with each call, the Routing page and the audit trail.</summary>
public static class RuleText
{
    public static string Summary(RuleConditions c, IReadOnlyDictionary<Guid, string> teamNames)
    {
        var parts = new List<string>();
        if (c.Models.Count > 0) parts.Add($"model={string.Join("|", c.Models)}");
        if (c.Tags.Count > 0) parts.Add($"tags={string.Join("|", c.Tags)}");
        if (c.Teams.Count > 0) parts.Add($"team={string.Join("|", c.Teams.Select(t => teamNames.GetValueOrDefault(t, t.ToString()[..8])))}");
        if (c.Projects.Count > 0) parts.Add($"project={c.Projects.Count}");
        if (c.Keys.Count > 0) parts.Add($"key={string.Join("|", c.Keys)}");
        if (c.Callers.Count > 0) parts.Add($"caller={string.Join("|", c.Callers)}");
        if (c.EndUsers.Count > 0) parts.Add($"user={string.Join("|", c.EndUsers)}");
        if (c.MinInputTokens is not null || c.MaxInputTokens is not null) parts.Add($"input {c.MinInputTokens ?? 0}–{(c.MaxInputTokens is { } max ? max.ToString() : "∞")} tokens");
        if (c.UsesTools is { } tools) parts.Add(tools ? "tools" : "no tools");
        if (c.HasImages is { } images) parts.Add(images ? "images" : "no images");
        if (c.From is not null || c.To is not null) parts.Add($"{c.From ?? "00:00"}–{c.To ?? "24:00"}");
        if (c.Regions.Count > 0) parts.Add($"from={string.Join("|", c.Regions)}");
        return parts.Count == 0 ? "any call" : string.Join(", ", parts);
    }

    public static string Action(RuleAction a) => a.Kind switch
    {
        RuleActionKinds.Block => $"block: {a.Message}",
        RuleActionKinds.Weighted => $"weighted: {string.Join(", ", a.Targets.Select(t => $"{t.Target} ×{t.Weight}"))}",
        RuleActionKinds.Fallbacks => $"fallbacks: {string.Join(" → ", a.Targets.Select(t => t.Target))}",
        RuleActionKinds.Cheapest => "cheapest" + (a.Targets.Count > 0 ? $" of {string.Join(", ", a.Targets.Select(t => t.Target))}" : " of every target") + Constraints(a),
        RuleActionKinds.LocalFirst => "local first" + (a.Targets.Count > 0 ? $" of {string.Join(", ", a.Targets.Select(t => t.Target))}" : " of the alias's targets"),
        _ => a.Kind,
    };

    private static string Constraints(RuleAction a)
    {
        var c = new List<string>();
        if (a.RequireTools) c.Add("tools");
        if (a.RequireVision) c.Add("vision");
        if (a.RequireJsonMode) c.Add("json mode");
        if (a.MaxP95LatencyMs is { } p95) c.Add($"p95 ≤ {p95} ms");
        if (a.Providers.Count > 0) c.Add($"providers {string.Join("|", a.Providers)}");
        if (a.Regions.Count > 0) c.Add($"regions {string.Join("|", a.Regions)}");
        return c.Count == 0 ? "" : $" with {string.Join(", ", c)}";
    }
}
