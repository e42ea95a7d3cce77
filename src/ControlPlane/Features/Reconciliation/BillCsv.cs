using System.Globalization;
using CsvHelper;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// A CSV bill read with CsvHelper: columns looked up by header name (ignoring case, any of several spellings), values
/// parsed exactly, and every error naming the file's line and the column.
/// </summary>
internal sealed class BillCsv : IDisposable
{
    private readonly CsvReader _csv;

    private BillCsv(CsvReader csv) => _csv = csv;

    public static BillCsv Open(Stream content) =>
        new(CsvReader.Create(content, new CsvReaderOptions
        {
            TrackLineNumbers = true,
            TrimWhitespace = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            IncludeValuesInExceptions = true,
        }, leaveOpen: true));

    /// <summary>The index of the first of <paramref name="names"/> the header has, or null.</summary>
    public int? Column(params string[] names)
    {
        try
        {
            foreach (var name in names)
                if (_csv.TryGetFieldIndex(name, out var index)) return index;
            return null;
        }
        catch (CsvFormatException ex)
        {
            throw new BillFormatException($"Line 1: the header cannot be read: {ex.Message}");
        }
    }

    public int Required(params string[] names) =>
        Column(names) ?? throw new BillFormatException($"Line 1: the header has no '{names[0]}' column{(names.Length > 1 ? $" (nor {string.Join(", ", names[1..])})" : "")}.");

    public bool Read()
    {
        try
        {
            return _csv.Read();
        }
        catch (CsvFormatException ex)
        {
            throw new BillFormatException($"Malformed CSV: {ex.Message}");
        }
    }

    public int Line => (int)_csv.LineNumber;

    public string Text(int column) => column < _csv.FieldCount ? _csv.GetString(column).Trim() : "";

    public string Name(int column) => _csv.Headers.ElementAtOrDefault(column) ?? $"column {column + 1}";

    public string RequiredText(int column) =>
        Text(column) is { Length: > 0 } text ? text : throw Error(column, "is empty");

    public long? Tokens(int? column)
    {
        if (column is not { } c || Text(c) is not { Length: > 0 } text) return null;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n : throw Error(c, $"'{text}' is not a whole number of zero or more");
    }

    public decimal Decimal(int column)
    {
        var text = RequiredText(column);
        return decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d)
            ? d : throw Error(column, $"'{text}' is not a number");
    }

    public DateOnly Day(int column, params string[] formats)
    {
        var text = RequiredText(column);
        if (DateOnly.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return day;
        if (DateTime.TryParseExact(text, formats.Select(f => f + "'T'HH:mm:ss").Concat(formats.Select(f => f + " HH:mm:ss")).ToArray(),
                CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            return DateOnly.FromDateTime(at);
        throw Error(column, $"'{text}' is not a date ({string.Join(" or ", formats)})");
    }

    public BillFormatException Error(int column, string problem) => new($"Line {Line}, column '{Name(column)}': {problem}.");

    public void Dispose() => _csv.Dispose();
}
