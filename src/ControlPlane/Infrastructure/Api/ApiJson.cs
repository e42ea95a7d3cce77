using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Infrastructure.Api;

/// <summary>The management API's JSON: camelCase, enums as strings; request bodies read here so malformed input gets a problem.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The body as <typeparamref name="T"/>, or a 400 problem naming the field that did not parse.</summary>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, ApiProblem.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."));
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, ct);
            return body is null ? (null, ApiProblem.BadRequest("Send a JSON object as the body.")) : (body, null);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            return (null, ApiProblem.Invalid(field, $"Not valid JSON for this call: {e.Message}"));
        }
    }
}
