namespace ControlPlane.Infrastructure;

/// <summary>The result of a user's command: a value, or a message that says what to fix. No exceptions for that.</summary>
public readonly record struct Outcome<T>(T? Value, string? Error)
{
    public bool Succeeded => Error is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);
}

public static class Outcome
{
    public static Outcome<T> Fail<T>(string error) => new(default, error);
}
