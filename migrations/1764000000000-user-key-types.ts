import type { MigrationInterface, QueryRunner } from 'typeorm';

/** User keys of type rsa have no curve. */
export class UserKeyTypes1764000000000 implements MigrationInterface {
  name = 'UserKeyTypes1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_keys ALTER COLUMN curve DROP NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM user_keys WHERE curve IS NULL`);
    await queryRunner.query(`ALTER TABLE user_keys ALTER COLUMN curve SET NOT NULL`);
  }
}
