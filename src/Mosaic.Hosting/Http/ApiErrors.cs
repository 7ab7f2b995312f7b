using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mosaic.Contracts;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Http;

/// <summary>Turns every failure into the API's error body: caller mistakes get a 4xx naming the field, ours a 500.</summary>
internal static class ApiErrors
{
    public static IResult Error(int status, string code, string detail) =>
        Results.Json(new ErrorResponse(code, detail), MosaicJson.Api.ErrorResponse, statusCode: status);

    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.RateLimited => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status400BadRequest,
    };

    public static void UseApiErrors(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            IResult? failure = null;
            TimeSpan? retryAfter = null;
            try
            {
                await next(context);
            }
            catch (MosaicException ex)
            {
                failure = Error(StatusOf(ex.Kind), ex.Code, ex.Detail);
                retryAfter = ex.RetryAfter;
            }
            catch (JsonException ex)
            {
                failure = Error(StatusCodes.Status400BadRequest, "invalid_json", RequestBody.Describe(ex));
            }
            catch (BadHttpRequestException ex)
            {
                failure = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? Error(413, "payload_too_large", "body: larger than the server accepts")
                    : Error(ex.StatusCode, "bad_request", ex.Message);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Store.StoreFailures.IsOutOfSpace(ex))
            {
                failure = Error(StatusCodes.Status507InsufficientStorage, "insufficient_storage", "the store's disk is full: nothing of this request was written; free space, then retry");
            }
            catch (Exception ex) when (Store.StoreFailures.IsDamaged(ex))
            {
                // Not the caller's fault and not passing: retrying cannot help, so no Retry-After and no 503.
                failure = Error(StatusCodes.Status500InternalServerError, "store_damaged", $"the store's files are damaged ({ex.GetBaseException().Message}); an operator must restore it from a backup (docs/operations.md, \"A damaged store\")");
            }
            catch (Exception ex) when (Store.StoreFailures.IsUnavailable(ex))
            {
                // The store is down or overloaded and the write was not acknowledged: a retry is safe (an upsert repeats;
                // with Idempotency-Key a repeat of a write that did commit returns its first answer).
                failure = Error(StatusCodes.Status503ServiceUnavailable, "store_unavailable", $"the store cannot be reached right now ({ex.GetType().Name}); retry later");
                retryAfter = Store.StoreFailures.RetryAfter;
            }

            if (failure is not null && !context.Response.HasStarted)
            {
                context.Response.Clear();
                if (retryAfter is { } retry)
                {
                    context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await failure.ExecuteAsync(context);
            }
        });
    }
}
