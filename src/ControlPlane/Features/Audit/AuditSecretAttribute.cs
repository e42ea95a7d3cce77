namespace ControlPlane.Features.Audit;

/// <summary>
/// Marks a property whose value must never reach the audit chain (an encrypted API key, a key or token hash, key-ring
/// XML): the entry's before/after shows only that it is set, and whether it changed.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AuditSecretAttribute : Attribute;
