using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Infrastructure.Live;

/// <summary>
/// The wire format between nodes: one JSON object per message, carrying the sending node and one or more events,
/// <c>{"n":"node-id","e":[{"t":"keys.changed","p":{}},{"t":"spend.tick","p":{…}}]}</c>. Payloads are the event
/// records in System.Text.Json's web shape (camelCase). A message stays under <see cref="MaxBytes"/> (PostgreSQL's
/// NOTIFY payload limit is 8000 bytes), so a burst of events is packed into as few messages as fit.
/// </summary>
public static class ClusterWire
{
    public const int MaxBytes = 7_900;

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public sealed record Envelope([property: JsonPropertyName("n")] string Node, [property: JsonPropertyName("e")] IReadOnlyList<Item> Events);

    public sealed record Item([property: JsonPropertyName("t")] string Type, [property: JsonPropertyName("p")] JsonElement Payload);

    public static Item ItemOf(ClusterEventType type, object e) => new(type.Name, JsonSerializer.SerializeToElement(e, type.Type, Json));

    /// <summary>Packs items into messages of at most <see cref="MaxBytes"/> UTF-8 bytes; an item too large alone is returned in <paramref name="tooLarge"/>.</summary>
    public static List<string> Pack(string node, IEnumerable<Item> items, List<Item> tooLarge)
    {
        var messages = new List<string>();
        var current = new List<Item>();
        var overhead = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(new Envelope(node, []), Json));
        var size = overhead;
        foreach (var item in items)
        {
            var itemSize = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(item, Json)) + 1;
            if (overhead + itemSize > MaxBytes)
            {
                tooLarge.Add(item);
                continue;
            }
            if (size + itemSize > MaxBytes)
            {
                messages.Add(JsonSerializer.Serialize(new Envelope(node, current), Json));
                current = [];
                size = overhead;
            }
            current.Add(item);
            size += itemSize;
        }
        if (current.Count > 0) messages.Add(JsonSerializer.Serialize(new Envelope(node, current), Json));
        return messages;
    }

    public static Envelope? Read(string message) => JsonSerializer.Deserialize<Envelope>(message, Json);
}
