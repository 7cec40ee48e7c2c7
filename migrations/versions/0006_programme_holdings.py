"""programme holdings: one row per (firm, programme) with the years it held the programme,
derived from the recognitions, and a 规上 index on firms, for the statistics (issue #10)

The table is filled here from the recognitions already stored, with the application's
own rule (``registry.recognitions.holdings.rebuild``); from then on every write path
keeps it in step (see that module). Also a narrow index on firms for the statistics'
count of 规上 firms per town and industry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme_holdings',
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('industry_id', sa.Integer(), nullable=True),
        sa.Column('first_year', sa.Integer(), nullable=False),
        sa.Column('valid_bits', sa.BigInteger(), nullable=False),
        sa.Column('valid_late', sa.BigInteger(), nullable=False),
        sa.Column('recognized_bits', sa.BigInteger(), nullable=False),
        sa.Column('recognized_late', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'],
                                name=op.f('fk_programme_holdings_firm_id_firms'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'],
                                name=op.f('fk_programme_holdings_programme_id_programmes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('firm_id', 'programme_id', name=op.f('pk_programme_holdings')),
    )
    op.create_index('ix_programme_holdings_cells', 'programme_holdings',
                    ['programme_id', 'town_id', 'industry_id', 'valid_bits', 'valid_late',
                     'recognized_bits', 'recognized_late', 'first_year'], unique=False)
    op.create_index('ix_firms_above_scale_cells', 'firms',
                    ['above_scale', 'town_id', 'industry_id', 'founded_on', 'status',
                     'status_changed_on'], unique=False)
    from registry.recognitions.holdings import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_index('ix_firms_above_scale_cells', table_name='firms')
    op.drop_table('programme_holdings')  # with its index (MariaDB refuses to drop an index
    # that a foreign key still uses)
