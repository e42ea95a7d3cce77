using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ControlPlane.Features.Prompts;

/// <summary>One message of a prompt version: a role and a template with <c>{{variables}}</c>.</summary>
public sealed record PromptMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content);

/// <summary>Reads, checks and renders a version's messages; the gateway and the playground render the same way.</summary>
public static partial class PromptTemplate
{
    public static readonly string[] Roles = ["system", "developer", "user", "assistant"];
    public const int MaxMessages = 50, MaxContentLength = 100_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    public static string Serialize(IReadOnlyList<PromptMessage> messages) => JsonSerializer.Serialize(messages, Json);

    public static IReadOnlyList<PromptMessage> Parse(string json) =>
        JsonSerializer.Deserialize<List<PromptMessage>>(json, Json) ?? [];

    /// <summary>What is wrong with these messages, or null: at least one, known roles, content within bounds.</summary>
    public static string? Problem(IReadOnlyList<PromptMessage> messages)
    {
        if (messages.Count == 0) return "A version needs at least one message.";
        if (messages.Count > MaxMessages) return $"A version has at most {MaxMessages} messages.";
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m is null || !Roles.Contains(m.Role, StringComparer.Ordinal))
                return $"Message {i + 1}: the role must be one of {string.Join(", ", Roles)}.";
            if (string.IsNullOrWhiteSpace(m.Content)) return $"Message {i + 1} ({m.Role}) is empty.";
            if (m.Content.Length > MaxContentLength) return $"Message {i + 1} is longer than {MaxContentLength:N0} characters.";
        }
        return null;
    }

    /// <summary>The variables the messages use, each once, in order of first use.</summary>
    public static IReadOnlyList<string> VariablesOf(IEnumerable<PromptMessage> messages) =>
        [.. messages.SelectMany(m => Variable().Matches(m.Content).Select(v => v.Groups[1].Value)).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The messages with every <c>{{name}}</c> replaced by its value; or the first variable that has no value. Values are
    /// put in as they are (a value's own braces are never rendered again).
    /// </summary>
    public static (IReadOnlyList<PromptMessage>? Rendered, string? Missing) Render(IReadOnlyList<PromptMessage> messages, IReadOnlyDictionary<string, string> variables)
    {
        var rendered = new List<PromptMessage>(messages.Count);
        foreach (var message in messages)
        {
            string? missing = null;
            var content = Variable().Replace(message.Content, match =>
            {
                var name = match.Groups[1].Value;
                if (variables.TryGetValue(name, out var value)) return value;
                missing ??= name;
                return match.Value;
            });
            if (missing is not null) return (null, missing);
            rendered.Add(message with { Content = content });
        }
        return (rendered, null);
    }

    /// <summary>A parameters object as stored: null when blank; otherwise it must be a JSON object.</summary>
    public static (string? Normalized, string? Problem) Parameters(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, "Parameters must be a JSON object, e.g. {\"temperature\": 0.2}.");
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name is "messages" or "model" or "prompt" or "stream")
                    return (null, $"Parameters may not set '{p.Name}': the version's messages and model are set apart, and the caller decides streaming.");
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true })) doc.RootElement.WriteTo(writer);
            return (Encoding.UTF8.GetString(buffer.ToArray()), null);
        }
        catch (JsonException ex)
        {
            return (null, $"Parameters are not valid JSON: {ex.Message}");
        }
    }

    /// <summary>The text the diff compares: each message under its role, then the model and parameters.</summary>
    public static string MessagesText(IReadOnlyList<PromptMessage> messages) =>
        string.Join("\n", messages.Select(m => $"[{m.Role}]\n{m.Content}"));

    public static string SettingsText(string? model, string? parameters) =>
        $"model: {model ?? "(the caller's)"}\n{parameters ?? "(no parameters)"}";
}
