using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>One operation of a PATCH request (RFC 7644 §3.5.2). <see cref="Op"/> is lower-case: add, replace or remove.</summary>
public sealed record ScimOperation(string Op, string? Path, JsonNode? Value);

public static class ScimPatch
{
    /// <summary>
    /// The operations of a PatchOp body. Entra writes ops capitalised ("Replace"), Okta lower-case; both are accepted.
    /// A body without Operations, or with an operation this service does not know, is a 400 invalidSyntax.
    /// </summary>
    public static IReadOnlyList<ScimOperation> Read(JsonObject body)
    {
        if (body["Operations"] is not JsonArray operations || operations.Count == 0)
            throw ScimException.InvalidSyntax("A PATCH body needs a non-empty 'Operations' array.");
        var read = new List<ScimOperation>();
        foreach (var node in operations)
        {
            if (node is not JsonObject operation) throw ScimException.InvalidSyntax("Each operation must be an object.");
            var op = (operation["op"] as JsonValue)?.TryGetValue<string>(out var o) == true ? o.ToLowerInvariant() : null;
            if (op is not ("add" or "replace" or "remove")) throw ScimException.InvalidSyntax($"Unknown PATCH op '{operation["op"]}': use add, replace or remove.");
            string? path = null;
            if (operation["path"] is { } p)
            {
                if (p is not JsonValue pv || !pv.TryGetValue<string>(out var ps)) throw ScimException.InvalidPath("'path' must be a string.");
                path = string.IsNullOrWhiteSpace(ps) ? null : ps.Trim();
            }
            if (op == "remove" && path is null && operation["value"] is null) throw ScimException.NoTarget("A remove operation needs a path or a value.");
            if (op != "remove" && operation["value"] is null) throw ScimException.InvalidSyntax($"A {op} operation needs a value.");
            read.Add(new ScimOperation(op, path, operation["value"]?.DeepClone()));
        }
        return read;
    }

    /// <summary>A boolean as Okta (true) or Entra ("False", a string) sends it.</summary>
    public static bool Boolean(JsonNode? value, string attribute)
    {
        if (value is JsonValue v)
        {
            if (v.TryGetValue<bool>(out var b)) return b;
            if (v.TryGetValue<string>(out var s) && bool.TryParse(s.Trim(), out var parsed)) return parsed;
        }
        throw ScimException.InvalidValue($"'{attribute}' must be true or false.");
    }

    /// <summary>A string attribute; null when the value is JSON null.</summary>
    public static string? Text(JsonNode? value, string attribute)
    {
        if (value is null) return null;
        if (value is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw ScimException.InvalidValue($"'{attribute}' must be a string.");
    }
}
