/** The Sid of the key-policy statement that lets EventBridge publish to an encrypted alert topic. */
export const EVENTS_SID = "Allow EventBridge to publish key alerts to the encrypted topic";

/** The Sid of the key-policy statement that lets CloudWatch alarms publish to the encrypted alert topic. */
export const ALARMS_SID = "Allow CloudWatch alarms to publish to the encrypted alerts topic";
