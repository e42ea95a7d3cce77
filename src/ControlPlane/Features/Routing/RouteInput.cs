using System.Text.Json;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Routing;

/// <summary>What routing rules look at beyond the request itself: who calls, from where, with which tags.</summary>
public sealed record RouteInput(RequestInfo Info, Guid? TeamId, Guid? ProjectId, string? KeyPrefix, string? Caller, string? EndUser, IReadOnlyList<string> Tags, string? Region)
{
    public const string TagsHeader = "X-ControlPlane-Tags";
    public const string RegionHeader = "X-ControlPlane-Region";

    /// <summary>
    /// The input of a gateway call. The body is read for <c>metadata.tags</c> only when some rule looks at tags
    /// (<paramref name="readTags"/>): most calls are never parsed twice.
    /// </summary>
    public static RouteInput Of(HttpContext http, GatewayCall call, RequestInfo info, ReadOnlySpan<byte> body, bool readTags)
    {
        var tags = readTags ? TagsOf(http.Request.Headers[TagsHeader].ToString(), body) : [];
        var region = http.Request.Headers[RegionHeader].ToString();
        return new RouteInput(info, call.Key?.TeamId, call.Key?.ProjectId, call.Key?.Prefix, call.Record.Caller, info.EndUser, tags,
            region.Length == 0 ? null : region.Trim());
    }

    /// <summary>Tags from the header (comma-separated) and the body's <c>metadata.tags</c> (a comma-separated string or an array of strings).</summary>
    public static List<string> TagsOf(string? header, ReadOnlySpan<byte> body)
    {
        var tags = new List<string>();
        if (!string.IsNullOrWhiteSpace(header)) Add(tags, header);
        if (body.IsEmpty) return tags;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return tags;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMetadata = reader.ValueTextEquals("metadata"u8);
                reader.Read();
                if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isTags = reader.ValueTextEquals("tags"u8);
                    reader.Read();
                    if (isTags && reader.TokenType == JsonTokenType.String) Add(tags, reader.GetString()!);
                    else if (isTags && reader.TokenType == JsonTokenType.StartArray)
                    {
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            if (reader.TokenType == JsonTokenType.String) Add(tags, reader.GetString()!);
                            else reader.Skip();
                    }
                    else reader.Skip();
                }
                break;
            }
        }
        catch (JsonException)
        {
            // The inspector accepted the body; anything odd here only means no tags from it.
        }
        return tags;
    }

    private static void Add(List<string> tags, string list)
    {
        foreach (var tag in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (tag.Length <= 64 && tags.Count < 32) tags.Add(tag);
    }
}
