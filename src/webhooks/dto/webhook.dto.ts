import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { Optional } from '../../common/dto-decorators';
import { WEBHOOK_EVENT_TYPES } from '../../changes/events';

const EVENTS = [...WEBHOOK_EVENT_TYPES, '*'];

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/keys', description: 'https, resolving to public addresses' })
  @IsString({ message: 'url must be a string' })
  @MaxLength(2048, { message: 'url must be at most 2048 characters' })
  url: string;

  @ApiProperty({ enum: EVENTS, isArray: true, example: ['key.rotated', 'key.deleted'], description: 'Event types, or "*" for all' })
  @IsArray({ message: 'events must be an array' })
  @ArrayMinSize(1, { message: 'events must name at least one event' })
  @IsIn(EVENTS, { each: true, message: `events must be among ${EVENTS.join(', ')}` })
  events: string[];

  @ApiPropertyOptional({ maxLength: 255 })
  @Optional()
  @IsString({ message: 'description must be a string' })
  @Length(0, 255, { message: 'description must be at most 255 characters' })
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @Optional()
  @IsString({ message: 'url must be a string' })
  @MaxLength(2048, { message: 'url must be at most 2048 characters' })
  url?: string;

  @ApiPropertyOptional({ enum: EVENTS, isArray: true })
  @Optional()
  @IsArray({ message: 'events must be an array' })
  @ArrayMinSize(1, { message: 'events must name at least one event' })
  @IsIn(EVENTS, { each: true, message: `events must be among ${EVENTS.join(', ')}` })
  events?: string[];

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  url: string;

  @ApiProperty({ type: [String] })
  events: string[];

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the service disabled it on its own' })
  disabledAt: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the service disabled it (cleared when it is enabled again)' })
  disabledReason: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Since when every delivery has failed; disabled after WEBHOOK_DISABLE_AFTER_SECONDS (5 days) of it',
  })
  failingSince: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Until when the secret before the last rotation signs too' })
  previousSecretExpiresAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ description: 'The signing secret (whsec_…), shown only now' })
  secret: string;
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id header of every try' })
  id: string;

  @ApiProperty({ example: 'key.rotated' })
  eventType: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status: string;

  @ApiProperty()
  attempts: number;

  @ApiProperty({ type: Number, nullable: true, description: "The receiver's last HTTP status" })
  lastStatusCode: number | null;

  @ApiProperty({ type: String, nullable: true })
  lastError: string | null;

  @ApiProperty({ type: Number, nullable: true })
  lastDurationMs: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The next try of a pending delivery' })
  nextAttemptAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
