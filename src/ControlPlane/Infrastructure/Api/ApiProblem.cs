using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// Every error of the management API as an RFC 9457 problem (<c>application/problem+json</c>): a title that names the kind
/// of error, a detail that says what to do, and for bad input the fields at fault (<see cref="Invalid"/>).
/// </summary>
public static class ApiProblem
{
    public static ProblemHttpResult Of(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>400 with the fields at fault: <c>errors: { "name": ["…"] }</c>.</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "Invalid request", detail: message);

    public static ProblemHttpResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, "Invalid request", detail);
    public static ProblemHttpResult Unauthorized(string detail) => Of(StatusCodes.Status401Unauthorized, "Not signed in", detail);
    public static ProblemHttpResult Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, "Not allowed", detail);
    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);
    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);
    public static ProblemHttpResult PreconditionFailed(string detail) => Of(StatusCodes.Status412PreconditionFailed, "Changed since you read it", detail);
    public static ProblemHttpResult Unprocessable(string detail) => Of(StatusCodes.Status422UnprocessableEntity, "Unprocessable", detail);
    public static ProblemHttpResult PreconditionRequired(string detail) => Of(StatusCodes.Status428PreconditionRequired, "If-Match required", detail);
}
