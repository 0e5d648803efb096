CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`network` text NOT NULL,
	`label` text NOT NULL,
	`remote` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`next_poll_at` integer,
	FOREIGN KEY (`owner`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `accounts_owner` ON `accounts` (`owner`);--> statement-breakpoint
CREATE INDEX `accounts_next_poll` ON `accounts` (`next_poll_at`);--> statement-breakpoint
CREATE TABLE `login_failures` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`last_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `phone_codes` (
	`user_id` text PRIMARY KEY NOT NULL,
	`phone_hash` text NOT NULL,
	`phone_display` text NOT NULL,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	`sent_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `phone_codes_phone` ON `phone_codes` (`phone_hash`);--> statement-breakpoint
CREATE TABLE `phone_lookups` (
	`user_id` text NOT NULL,
	`day` integer NOT NULL,
	`number_key` text NOT NULL,
	PRIMARY KEY(`user_id`, `day`, `number_key`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `phone_lookups_day` ON `phone_lookups` (`day`);--> statement-breakpoint
DROP INDEX `users_phone_hash`;--> statement-breakpoint
ALTER TABLE `users` ADD `phone_verified_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `users_verified_phone` ON `users` (`phone_hash`) WHERE phone_verified_at is not null;--> statement-breakpoint
CREATE INDEX `users_phone_hash` ON `users` (`phone_hash`);--> statement-breakpoint
ALTER TABLE `media` ADD `sent_at` integer;--> statement-breakpoint
CREATE INDEX `media_unsent` ON `media` (`sent_at`,`created_at`);