WITH roll AS MATERIALIZED 
(SELECT pupil.id AS id, pupil.upn AS upn, pupil.date_of_birth AS date_of_birth, (SELECT count(*) AS count_1 
FROM attendance_mark 
WHERE attendance_mark.pupil_id = pupil.id AND attendance_mark.date BETWEEN :year_start AND :as_of) AS marks 
FROM pupil 
WHERE pupil.school_id = :school_id AND pupil.admission_date <= :as_of AND (pupil.leaving_date IS NULL OR pupil.leaving_date >= :as_of)), 
others AS MATERIALIZED 
(SELECT attendance_mark.pupil_id AS pupil_id, attendance_mark.date AS date, attendance_mark.session AS session, attendance_mark.code AS code 
FROM attendance_mark JOIN roll ON roll.id = attendance_mark.pupil_id 
WHERE attendance_mark.code NOT IN ('/', '\') AND attendance_mark.date <= :as_of), 
other_totals AS 
(SELECT others.pupil_id AS pupil_id, count(*) FILTER (WHERE others.date >= :year_start) AS marks, count(*) FILTER (WHERE others.date >= :year_start AND others.code IN (:code_1_1, :code_1_2, :code_1_3, :code_1_4, :code_1_5, :code_1_6, :code_1_7, :code_1_8, :code_1_9, :code_1_10, :code_1_11, :code_1_12)) AS not_possible, count(*) FILTER (WHERE others.date >= :year_start AND others.code = :code_2) AS late, count(*) FILTER (WHERE others.date >= :year_start AND others.code IN (:code_3_1, :code_3_2, :code_3_3, :code_3_4, :code_3_5)) AS aea, count(*) FILTER (WHERE others.date >= :year_start AND others.code IN (:code_4_1, :code_4_2, :code_4_3, :code_4_4, :code_4_5, :code_4_6, :code_4_7, :code_4_8, :code_4_9, :code_4_10)) AS authorised, count(*) FILTER (WHERE others.date >= :year_start AND others.code IN (:code_5_1, :code_5_2, :code_5_3, :code_5_4)) AS unauthorised, count(*) FILTER (WHERE others.date >= :half_term_start AND others.code = :code_6) AS l_half_term, count(*) FILTER (WHERE others.date >= :term_start AND others.code = :code_7) AS l_term, count(*) FILTER (WHERE others.date >= :half_term_start AND others.code = :code_8) AS u_half_term, count(*) FILTER (WHERE others.date >= :term_start AND others.code = :code_9) AS u_term, count(DISTINCT others.date) FILTER (WHERE others.date >= :year_start AND others.code = :code_10) AS ill_days 
FROM others GROUP BY others.pupil_id), 
unauthorised AS 
(SELECT others.pupil_id AS pupil_id, others.date AS date, others.code AS code, school_day.day_index AS day_index, school_day.sessions AS sessions, school_day.school_week AS school_week, lag(school_day.school_week, :lag_1) OVER (PARTITION BY others.pupil_id ORDER BY others.date, others.session) AS week_back 
FROM others JOIN school_day ON school_day.school_id = :school_id AND school_day.date = others.date 
WHERE others.code IN (:code_12_1, :code_12_2, :code_12_3, :code_12_4)), 
threshold AS 
(SELECT unauthorised.pupil_id AS pupil_id, count(*) FILTER (WHERE unauthorised.date >= :window_start) AS rolling, count(*) FILTER (WHERE unauthorised.code = :code_11 AND unauthorised.date <= :overdue_n_before) AS overdue_n, min(CASE WHEN (unauthorised.school_week - unauthorised.week_back < :param_1) THEN unauthorised.date END) AS first_met 
FROM unauthorised GROUP BY unauthorised.pupil_id), 
full_days AS 
(SELECT unauthorised.pupil_id AS pupil_id, unauthorised.day_index AS day_index, row_number() OVER (PARTITION BY unauthorised.pupil_id ORDER BY unauthorised.day_index DESC) AS back 
FROM unauthorised GROUP BY unauthorised.pupil_id, unauthorised.day_index, unauthorised.sessions 
HAVING count(*) = unauthorised.sessions), 
run AS 
(SELECT full_days.pupil_id AS pupil_id, count(*) AS run 
FROM full_days 
WHERE (full_days.day_index + full_days.back) - :param_2 = :last_school_day_index GROUP BY full_days.pupil_id)
 SELECT roll.upn, roll.date_of_birth, roll.marks - coalesce(other_totals.not_possible, :coalesce_1) AS possible, (roll.marks - coalesce(other_totals.marks, :coalesce_2)) + coalesce(other_totals.late, :coalesce_3) AS present, coalesce(other_totals.aea, :coalesce_4) AS aea, coalesce(other_totals.authorised, :coalesce_5) AS authorised, coalesce(other_totals.unauthorised, :coalesce_6) AS unauthorised, coalesce(threshold.rolling, :coalesce_7) AS rolling, threshold.first_met, coalesce(run.run, :coalesce_8) AS run, coalesce(other_totals.ill_days, :coalesce_9) AS illness_days, coalesce(other_totals.l_half_term, :coalesce_10) AS l_half_term, coalesce(other_totals.l_term, :coalesce_11) AS l_term, coalesce(other_totals.u_half_term, :coalesce_12) AS u_half_term, coalesce(other_totals.u_term, :coalesce_13) AS u_term, coalesce(threshold.overdue_n, :coalesce_14) AS overdue_n 
FROM roll LEFT OUTER JOIN other_totals ON other_totals.pupil_id = roll.id LEFT OUTER JOIN threshold ON threshold.pupil_id = roll.id LEFT OUTER JOIN run ON run.pupil_id = roll.id ORDER BY roll.upn