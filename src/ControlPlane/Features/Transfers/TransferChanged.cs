namespace ControlPlane.Features.Transfers;

/// <summary>
/// A transfer was requested, approved (in part or in full), rejected, expired or returned. Crosses nodes (wire name
/// "transfer.changed"): open Transfers pages re-read, and when <paramref name="MovedBudget"/> every node reloads its
/// wallet book so the new limits hold at once, not at the next refresh.
/// </summary>
public sealed record TransferChanged(Guid TransferId, string State, bool MovedBudget);
