using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Prompts;

/// <summary>
/// The gateway step that serves registry prompts (README "Prompt references in calls"): a call names a prompt in its
/// body (<c>"prompt": {"name", "label" | "version", "variables"}</c>) or in <see cref="Header"/> (<c>name@label</c>,
/// <c>name@v3</c>); the label is resolved against this node's <see cref="PromptCatalog"/> as it stands now, the
/// version's messages are rendered and put before the caller's own, its model and parameters fill what the caller left
/// out, and the <c>prompt</c> field is taken out before the body goes on. Runs after the body is read, before it is inspected.
/// </summary>
public sealed class PromptStep(PromptCatalog catalog)
{
    public const string Header = "X-ControlPlane-Prompt";

    /// <summary>
    /// The whole cost of the step for a call that names no prompt: a header lookup and one vectorized search of the
    /// body for the property name (a false hit, e.g. a tool parameter called "prompt", only costs a parse).
    /// </summary>
    public static bool IsNamed(HttpRequest request, ReadOnlySpan<byte> body) =>
        request.Headers.ContainsKey(Header) || body.IndexOf("\"prompt\""u8) >= 0;

    /// <summary>Renders the named prompt into <paramref name="body"/>; false when the call was refused (the answer is written).</summary>
    public async ValueTask<bool> ApplyAsync(HttpContext http, GatewayCall call, RequestBody body)
    {
        var header = http.Request.Headers[Header].ToString();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.Span.ToArray(), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return true; // not JSON: the inspector says so in the caller's format
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return true;
            var field = doc.RootElement.TryGetProperty("prompt", out var f) ? f : (JsonElement?)null;
            if (field is null && header.Length == 0) return true; // "prompt" was only text somewhere deeper

            if (call.FrontDoor != WireFormat.OpenAIChat)
                return await RefuseAsync(http, call, 400, "invalid_request_error", "Prompt references are served on /v1/chat/completions.", "prompt_reference", "prompt_bad_reference");

            var (reference, problem) = PromptReference.Read(header, field);
            if (problem is not null) return await RefuseAsync(http, call, 400, "invalid_request_error", problem, "prompt", "prompt_bad_reference");

            var snapshot = catalog.Current;
            if (!snapshot.Prompts.TryGetValue(reference!.Name, out var prompt))
                return await RefuseAsync(http, call, 404, "invalid_request_error", $"There is no prompt '{reference.Name}' in the registry.", "prompt_not_found", "prompt_not_found");
            if (call.Key is not { } key || !snapshot.Allows(prompt, key.TeamId))
                return await RefuseAsync(http, call, 403, "permission_error", $"This key's team may not use the prompt '{prompt.Name}': it belongs to another team and is not shared.", "prompt_not_allowed", "prompt_not_allowed");
            var version = reference.Version is { } number
                ? prompt.Versions.GetValueOrDefault(number)
                : prompt.Labels.GetValueOrDefault(reference.Label!);
            if (version is null)
            {
                var what = reference.Version is { } n ? $"no version {n}" : $"no label '{reference.Label}'";
                return await RefuseAsync(http, call, 404, "invalid_request_error", $"The prompt '{prompt.Name}' has {what}.", "prompt_not_found", "prompt_not_found");
            }

            var (rendered, missing) = PromptTemplate.Render(version.Messages, reference.Variables);
            if (missing is not null)
                return await RefuseAsync(http, call, 400, "invalid_request_error",
                    $"The prompt '{prompt.Name}' v{version.Number} needs the variable '{missing}', which the call did not give (prompt.variables.{missing}).",
                    $"prompt.variables.{missing}", "prompt_variable_missing");

            call.Record.PromptVersionId = version.Id;
            call.Record.PromptLabel = reference.Label;
            body.Replace(Rewrite(doc.RootElement, rendered!, version));
            return true;
        }
    }

    /// <summary>The caller's body without <c>prompt</c>: the rendered messages first, the version's model and parameters where the caller set none.</summary>
    internal static ReadOnlySpan<byte> Rewrite(JsonElement root, IReadOnlyList<PromptMessage> rendered, ServedVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(output);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var wroteMessages = false;
        writer.WriteStartObject();
        foreach (var property in root.EnumerateObject())
        {
            present.Add(property.Name);
            switch (property.Name)
            {
                case "prompt":
                    break;
                case "messages":
                    writer.WritePropertyName("messages");
                    writer.WriteStartArray();
                    WriteMessages(writer, rendered);
                    if (property.Value.ValueKind == JsonValueKind.Array)
                        foreach (var own in property.Value.EnumerateArray()) own.WriteTo(writer);
                    writer.WriteEndArray();
                    wroteMessages = true;
                    break;
                case "model" when version.Model is not null && (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() is null or ""):
                    writer.WriteString("model", version.Model);
                    break;
                default:
                    property.WriteTo(writer);
                    break;
            }
        }
        if (!wroteMessages)
        {
            writer.WritePropertyName("messages");
            writer.WriteStartArray();
            WriteMessages(writer, rendered);
            writer.WriteEndArray();
        }
        if (!present.Contains("model") && version.Model is not null) writer.WriteString("model", version.Model);
        if (version.Parameters is not null)
        {
            using var parameters = JsonDocument.Parse(version.Parameters);
            // The caller's own cap, under either name, wins over the version's.
            var capped = present.Contains("max_tokens") || present.Contains("max_completion_tokens");
            foreach (var p in parameters.RootElement.EnumerateObject())
            {
                if (present.Contains(p.Name) || (capped && p.Name is "max_tokens" or "max_completion_tokens")) continue;
                p.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
        writer.Flush();
        return output.WrittenSpan;
    }

    private static void WriteMessages(Utf8JsonWriter writer, IReadOnlyList<PromptMessage> messages)
    {
        foreach (var m in messages)
        {
            writer.WriteStartObject();
            writer.WriteString("role", m.Role);
            writer.WriteString("content", m.Content);
            writer.WriteEndObject();
        }
    }

    private static async ValueTask<bool> RefuseAsync(HttpContext http, GatewayCall call, int status, string type, string message, string param, string errorClass)
    {
        await GatewayErrors.RefuseAsync(http, call, new WireError(status, type, message, param, errorClass), errorClass);
        return false;
    }
}

/// <summary>What a call named: a prompt, a label or a version number, and the variables' values.</summary>
public sealed record PromptReference(string Name, string? Label, int? Version, IReadOnlyDictionary<string, string> Variables)
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>
    /// The header gives the name and label (<c>name@label</c>, <c>name@v3</c>, <c>name</c> for production); the body's
    /// <c>prompt</c> field gives them when there is no header, and the variables either way.
    /// </summary>
    public static (PromptReference? Reference, string? Problem) Read(string header, JsonElement? field)
    {
        string? name = null, label = null;
        int? version = null;
        var variables = None;
        if (field is { } f)
        {
            if (f.ValueKind == JsonValueKind.String) (name, label, version) = Split(f.GetString()!);
            else if (f.ValueKind != JsonValueKind.Object) return (null, "'prompt' must be an object: {\"name\": …, \"label\" or \"version\": …, \"variables\": {…}}.");
            else
            {
                if (f.TryGetProperty("name", out var n)) name = n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                if (f.TryGetProperty("label", out var l) && l.ValueKind != JsonValueKind.Null)
                {
                    if (l.ValueKind != JsonValueKind.String) return (null, "'prompt.label' must be a string, e.g. \"production\".");
                    label = l.GetString();
                }
                if (f.TryGetProperty("version", out var v) && v.ValueKind != JsonValueKind.Null)
                {
                    if (!TryVersion(v, out var number)) return (null, "'prompt.version' must be a version number, e.g. 3.");
                    version = number;
                }
                if (f.TryGetProperty("variables", out var vars) && vars.ValueKind != JsonValueKind.Null)
                {
                    if (vars.ValueKind != JsonValueKind.Object) return (null, "'prompt.variables' must be an object of names and values.");
                    variables = vars.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null)
                        .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
                }
            }
        }
        if (header.Length > 0) (name, label, version) = Split(header);
        if (string.IsNullOrWhiteSpace(name)) return (null, "The prompt reference names no prompt ('prompt.name' or the X-ControlPlane-Prompt header).");
        if (label is not null && version is not null) return (null, "Name a label or a version of the prompt, not both.");
        return (new PromptReference(name.Trim(), version is null ? label ?? PromptLabel.Production : null, version, variables), null);
    }

    /// <summary>"name@label", "name@v3" or "name@3" (a version), or "name" (production).</summary>
    private static (string? Name, string? Label, int? Version) Split(string text)
    {
        var at = text.LastIndexOf('@');
        if (at < 0) return (text.Trim(), null, null);
        var (name, after) = (text[..at].Trim(), text[(at + 1)..].Trim());
        var digits = after.StartsWith('v') ? after[1..] : after;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? (name, null, number) : (name, after, null);
    }

    private static bool TryVersion(JsonElement value, out int number)
    {
        number = 0;
        if (value.ValueKind == JsonValueKind.Number) return value.TryGetInt32(out number) && number > 0;
        if (value.ValueKind != JsonValueKind.String) return false;
        var text = value.GetString()!.Trim();
        return int.TryParse(text.StartsWith('v') ? text[1..] : text, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number > 0;
    }
}
