"""Operations research only: queueing, requirements, shifts, LP/MIP, roster, simulation."""
