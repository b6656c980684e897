"""A visitor journey as Yofi's data API returns it: the journey's telemetry, and its bot prediction.

JSON:API documents (`{"trace_id", "data": [resource]}`). Journey times are milliseconds
(`2025-10-29T12:20:50.189Z`), prediction times microseconds (`2025-09-10T03:45:29.113091Z`), as the
vendor's examples show.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256
from typing import Any, Final

from mockserver.clock import epoch_micros, epoch_seconds, format_epoch_micros, format_epoch_millis
from mockserver.simulation import VisitorJourney, rules
from mockserver.simulation.seeding import derive_key, minute_floor
from mockserver.simulation.telemetry import Telemetry, telemetry

__all__ = ["MODEL_NAME", "MODEL_VERSION", "journey_document", "prediction_id", "predictions_document"]

MODEL_NAME: Final = "RuleBasedBotDetector"
MODEL_VERSION: Final = "0.0.1"
BOTD_INDICATOR: Final = "botd sessions count"
# Sessions closer together than this, on average, are "unusually frequent".
_RAPID_GAP_HOURS: Final = 1.0
_RAPID_MIN_SESSIONS: Final = 5


def journey_document(journey: VisitorJourney, *, seed: int, now: datetime, include_predictions: bool) -> dict[str, Any]:
    """The Get Journey Data document; `predictions` only when asked for (`fields[journeys]=predictions`)."""
    record = telemetry(journey)
    sessions = journey.sessions
    attributes: dict[str, Any] = {
        "journey_id": journey.journey_id,
        "feature": {
            "journeyMetadata": {
                "sessionCount": len(sessions),
                "pageViews": sum(len(session.pages) for session in sessions),
                "entryChannel": sessions[0].channel,
                "device": journey.device,
                "browser": record.browser,
                "os": record.os,
                "country": record.country,
                "converted": journey.converted,
            },
            "cloudBehavioral": {
                "totalTimeSeconds": journey.total_time_seconds,
                "avgSessionSeconds": journey.total_time_seconds // len(sessions),
                "avgGapHours": journey.avg_gap_hours,
                "clicks": journey.total_clicks,
                "scrolls": journey.total_scrolls,
                "automatedNavigation": journey.automated,
            },
        },
        "custom_events": [
            {
                "created_at": format_epoch_millis(batch.created_at),
                "events": [
                    {"level": event.level, "name": event.name, "time": event.time, "type": event.type}
                    for event in batch.events
                ],
                "sid": batch.sid,
                "url": batch.url,
            }
            for batch in record.batches
        ],
        "created_at": format_epoch_millis(record.created_at),
        "updated_at": format_epoch_millis(record.updated_at),
        "app_id": record.app_id,
    }
    if include_predictions:
        attributes["predictions"] = [_prediction(journey, record, now=now, forced=False)]
    return {
        "trace_id": _trace_id(seed, "journey", journey.journey_id, now),
        "data": [
            {
                "type": "journey",
                "id": journey.journey_id,
                "attributes": attributes,
                "relationships": {"user": {"data": {"type": "user", "id": record.user_id}}},
            }
        ],
    }


def predictions_document(journey: VisitorJourney, *, seed: int, now: datetime, forced: bool) -> dict[str, Any]:
    """The Get Journey Predictions document. `forced` (isForce) recalculates: the same prediction, with
    `updated_at` = now."""
    prediction = _prediction(journey, telemetry(journey), now=now, forced=forced)
    return {
        "trace_id": _trace_id(seed, "predictions", journey.journey_id, now),
        "data": [{"type": "prediction", "id": prediction["prediction_id"], "attributes": prediction}],
    }


def prediction_id(app_id: str, journey_id: str, model_name: str = MODEL_NAME) -> str:
    """Stable for a journey and a model: recalculating a prediction updates it, it does not replace it."""
    return sha256(f"{app_id}\x1f{journey_id}\x1f{model_name}\x1f{MODEL_VERSION}".encode()).hexdigest()


def _prediction(journey: VisitorJourney, record: Telemetry, *, now: datetime, forced: bool) -> dict[str, Any]:
    botd = journey.botd_sessions
    bot = rules.is_bot(botd)
    severity = rules.bot_severity(botd)
    automated = journey.automated
    rapid = len(journey.sessions) >= _RAPID_MIN_SESSIONS and journey.avg_gap_hours < _RAPID_GAP_HOURS
    # The stream first evaluates a journey shortly after its first events (within its first session, which has
    # ended: so `created_at` is fixed once the journey exists), and again after its latest events, never
    # after the instant the journey is seen at (`anchor`, at or before `now`).
    delay = derive_key(journey.seed, "prediction", journey.journey_id) % 2_000_000 + 50_000
    created = min(record.created_at * 1000 + delay // 3, journey.sessions[0].end * 1_000_000)
    updated = max(created, min(record.updated_at * 1000 + delay, journey.anchor * 1_000_000))
    if forced:
        updated = max(epoch_micros(now), created)
    return {
        "prediction_id": prediction_id(record.app_id, journey.journey_id),
        "entity_id": journey.journey_id,
        "entity_type": "journey",
        "app_id": record.app_id,
        "model_name": MODEL_NAME,
        "model_type": "rule_based",
        "model_level": "journey",
        "model_version": MODEL_VERSION,
        "prediction_category": "bot",
        "prediction_subcategory": "botd_detect",
        "label_name": "Bot - BotD Detect" if bot else "Human - No Bot Detected",
        "is_public_model": True,
        "predicted_value": 1 if bot else 0,
        "severity": severity,
        "value_type": "number",
        "indicators": [
            {
                "indicatorName": BOTD_INDICATOR,
                "indicatorDescription": "This journey contains sessions that are detected by botd.",
                "indicatorRiskLevel": severity,
                "value": str(botd),
            },
            {
                "indicatorName": "suspicious behavior patterns",
                "indicatorDescription": "Detected automated navigation patterns typical of bots",
                "indicatorRiskLevel": "medium" if automated else "none",
                "value": "true" if automated else "false",
            },
            {
                "indicatorName": "session frequency",
                "indicatorDescription": "Unusually high number of sessions in short time period",
                "indicatorRiskLevel": "medium" if rapid else "none",
                "value": "high" if rapid else "normal",
            },
        ],
        "justification": _justification(botd, automated, len(journey.sessions)),
        "prediction_source": "stream",
        "created_at": format_epoch_micros(created),
        "updated_at": format_epoch_micros(updated),
    }


def _justification(botd: int, automated: bool, sessions: int) -> str:
    if rules.is_bot(botd):
        if automated:
            return (
                "This journey is flagged by BotD due to multiple suspicious sessions and automated navigation patterns."
            )
        return f"This journey is flagged by BotD: {botd} of its {sessions} sessions were detected as bots."
    if botd:
        return (
            "One session was flagged by BotD, but the journey's navigation is consistent with a person; "
            "treated as a false positive."
        )
    return f"No session of this journey was flagged by BotD and its {sessions} sessions look human."


def _trace_id(seed: int, kind: str, journey_id: str, now: datetime) -> str:
    # Deterministic, like every body: the same seed, id and minute give the same trace id.
    minute = minute_floor(epoch_seconds(now))
    return f"{derive_key(seed, 'trace', kind, journey_id, minute, bits=128):032x}"
